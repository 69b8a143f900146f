"""HTTP APIs of the notification service, one module per major version."""
