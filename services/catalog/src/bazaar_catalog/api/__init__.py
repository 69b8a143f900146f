"""HTTP APIs of the catalog service, one module per major version."""
