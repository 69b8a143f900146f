"""Bazaar search service: full-text product search, a read model fed by the catalog's facts."""
