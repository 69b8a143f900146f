"""HTTP APIs of the inventory service, one module per major version (both share one store)."""
