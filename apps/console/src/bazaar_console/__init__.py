"""Bazaar's operator console."""
