"""HTTP APIs of the promotion service, one module per major version."""
