"""Bazaar payment service: card tokens and a payment ledger behind a provider port."""
