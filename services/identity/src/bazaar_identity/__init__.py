"""Bazaar identity service: users, organizations, roles, service clients and their tokens."""
