"""Bazaar API gateway: the one public entry to every service and version."""
