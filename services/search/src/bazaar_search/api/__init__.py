"""HTTP APIs of the search service, one module per major version."""
