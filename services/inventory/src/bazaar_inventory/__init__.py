"""Bazaar inventory service: stock per SKU per location, and reservations with expiry."""
