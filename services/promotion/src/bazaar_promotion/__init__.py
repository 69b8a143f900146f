"""Bazaar promotion service: the system of record for promotions, discount codes and their use."""
