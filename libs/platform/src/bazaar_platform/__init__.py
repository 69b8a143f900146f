"""bazaar_platform: what the platform's operator and apps use and services never do.

Starting nats-server, provisioning the bus, signing identity assertions, reading the registry,
signed browser sessions: kept out of the chassis so that a service carries only what it needs
(the chassis's test plugin uses it via `testing`).
"""
