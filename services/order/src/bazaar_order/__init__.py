"""Bazaar order service: orders made from carts, completed by choreography."""
