"""A test payment provider: card tokens, payment intents, idempotency keys and signed webhooks."""
