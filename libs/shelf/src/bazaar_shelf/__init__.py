"""bazaar_shelf: the item card the catalog and search both show, and how they copy it.

Two read models of the same facts share one display rule and one way of reading those facts.
"""
