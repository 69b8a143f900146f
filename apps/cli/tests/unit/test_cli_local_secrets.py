"""Local secrets: a private data dir, fixed when older, and a key passphrase per data dir."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bazaar_cli.secrets import LEGACY_KEY_PASSPHRASE, ensure_secrets
from bazaar_cli.state import make_private


@pytest.fixture(autouse=True)
def keep_the_umask() -> Iterator[None]:
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_an_older_data_dir_is_made_private_and_new_files_are_born_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "nats").mkdir(parents=True)
    data.chmod(0o755)
    for name in ("catalog.db", "catalog.db-wal", "nats/nats-server.conf"):
        (data / name).write_text("x")
        (data / name).chmod(0o644)
    (data / "link").symlink_to(tmp_path)
    tmp_path.chmod(0o755)
    make_private(data)
    assert mode(data) == 0o700
    assert mode(data / "nats") == 0o700
    assert {mode(data / n) for n in ("catalog.db", "catalog.db-wal", "nats/nats-server.conf")} == {
        0o600
    }
    assert mode(tmp_path) == 0o755  # a link is not followed
    (data / "identity.db-shm").write_text("new")
    assert mode(data / "identity.db-shm") == 0o600


def test_each_data_dir_gets_its_own_passphrase_kept_across_starts(tmp_path: Path) -> None:
    first = ensure_secrets(tmp_path / "one")
    assert first.identity_key_passphrase == ensure_secrets(tmp_path / "one").identity_key_passphrase
    other = ensure_secrets(tmp_path / "two")
    assert other.identity_key_passphrase != first.identity_key_passphrase
    assert LEGACY_KEY_PASSPHRASE not in (
        first.identity_key_passphrase,
        other.identity_key_passphrase,
    )
    assert first.identity_previous_key_passphrase is None
    secret_files = [p for p in first.directory.iterdir() if not p.name.endswith(".pub.pem")]
    assert len(secret_files) >= 7
    assert {mode(p) for p in secret_files} == {0o600}


def test_a_data_dir_from_before_the_passphrase_reseals_its_keys_from_the_old_one(
    tmp_path: Path,
) -> None:
    (tmp_path / "identity.db").write_text("keys sealed with the public passphrase")
    secrets = ensure_secrets(tmp_path)
    assert secrets.identity_previous_key_passphrase == LEGACY_KEY_PASSPHRASE
    assert secrets.identity_key_passphrase != LEGACY_KEY_PASSPHRASE


def test_each_service_gets_only_its_own_assertion_key_which_follows_the_secret(
    tmp_path: Path,
) -> None:
    secrets = ensure_secrets(tmp_path / "data")
    catalog, identity = (secrets.assertion_key_file(n) for n in ("catalog", "identity"))
    assert catalog.parent == identity.parent
    assert catalog.read_text() != identity.read_text()
    assert {mode(catalog), mode(identity), mode(catalog.parent)} == {0o600, 0o700}
    assert secrets.assertion_secret_file.read_text().strip() not in catalog.read_text()
    kept = catalog.read_text()
    assert ensure_secrets(tmp_path / "data").assertion_key_file("catalog").read_text() == kept
    secrets.assertion_secret_file.write_text("a replaced secret of forty-odd characters......")
    restarted = ensure_secrets(tmp_path / "data")
    assert restarted.assertion_key_file("catalog").read_text() != kept
