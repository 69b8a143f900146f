"""Bazaar pricing service: the system of record for prices per SKU and currency."""
