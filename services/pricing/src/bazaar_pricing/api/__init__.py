"""HTTP APIs of the pricing service, one module per major version (both share one store)."""
