"""HTTP APIs of the customer service, one module per major version."""
