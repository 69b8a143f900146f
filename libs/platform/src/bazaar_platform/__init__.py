"""bazaar_platform: what the platform's operator and apps use and services never do.

Starting nats-server, provisioning the bus's streams and buckets; kept out of the chassis so a
service carries only what it needs (the chassis's test plugin uses it through its `testing` extra).
"""
