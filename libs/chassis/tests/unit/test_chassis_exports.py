"""The chassis's public names: each one resolves, and `__all__` lists exactly them."""

from __future__ import annotations

import bazaar_chassis


def test_every_public_name_resolves() -> None:
    for name in bazaar_chassis.__all__:
        assert getattr(bazaar_chassis, name) is not None, name


def test_the_public_api_is_pinned() -> None:
    assert sorted(bazaar_chassis.__all__) == sorted(bazaar_chassis._HOMES)
