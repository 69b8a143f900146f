"""Bazaar customer service: profiles, addresses and each customer's order history."""
