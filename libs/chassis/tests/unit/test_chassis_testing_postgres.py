"""When the test session's PostgreSQL server goes away mid-run, the test that finds it gone says
so and shows the end of the server's log, which is deleted with the server at the session's end."""

from __future__ import annotations

from pathlib import Path

import pytest

from bazaar_chassis.testing import postgres
from bazaar_chassis.testing.postgres import LOG_LINES_SHOWN, PostgresServerGone, fresh_database


def test_a_server_that_went_away_is_named_with_the_end_of_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    socket_dir = tmp_path / "pgdata"  # where the server listened; nothing listens there now
    socket_dir.mkdir()
    log = socket_dir / "log"
    lines = [f"line {n}" for n in range(100)] + ["FATAL:  the server's last words"]
    log.write_text("\n".join(lines) + "\n")
    admin_url = f"postgresql://postgres:@/postgres?host={socket_dir}"
    monkeypatch.setitem(postgres._server_logs, admin_url, log)

    with pytest.raises(PostgresServerGone) as gone, fresh_database(admin_url):
        pass

    message = str(gone.value)
    assert "went away during CREATE" in message
    assert message.endswith("\n".join(lines[-LOG_LINES_SHOWN:]))
    assert lines[-LOG_LINES_SHOWN - 1] + "\n" not in message
