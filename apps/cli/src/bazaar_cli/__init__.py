"""The `bazaar` command line: up, status, stop, seed."""
