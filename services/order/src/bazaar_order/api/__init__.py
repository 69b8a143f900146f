"""HTTP API of the order service, one module per major version."""
