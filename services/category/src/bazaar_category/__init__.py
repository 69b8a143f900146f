"""Bazaar category service: the category tree, product membership and ordering."""
