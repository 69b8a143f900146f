"""Bazaar notification service: the messages the platform sends customers, and their delivery."""
