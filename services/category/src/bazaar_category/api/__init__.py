"""HTTP APIs of the category service, one module per major version."""
