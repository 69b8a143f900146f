"""Bazaar product service: the system of record for product data."""
