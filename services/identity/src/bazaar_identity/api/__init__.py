"""HTTP APIs of the identity service, one module per major version."""
