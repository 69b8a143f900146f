"""The cart's HTTP APIs, one module per major."""
