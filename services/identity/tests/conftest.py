"""Identity's tests run in development mode with the demo key passphrase, set explicitly here.

Outside tests there is no default passphrase: `bazaar up` generates one per data dir.
"""

from __future__ import annotations

import pytest

from bazaar_identity.settings import DEMO_KEY_PASSPHRASE


@pytest.fixture(autouse=True)
def demo_key_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAZAAR_IDENTITY_KEY_PASSPHRASE", DEMO_KEY_PASSPHRASE)
