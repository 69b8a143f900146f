"""Bazaar catalog service: the denormalized read model of products, prices, stock, categories."""
