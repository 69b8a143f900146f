"""The storefront: the shopper's web client, built only on the public gateway API."""
