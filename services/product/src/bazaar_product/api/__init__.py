"""HTTP APIs of the product service, one module per major version."""
