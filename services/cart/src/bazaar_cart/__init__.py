"""Bazaar cart service: shopping carts, their lines, discount codes and totals."""
