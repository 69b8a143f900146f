"""The catalog's quick reads (quick_reads.py): on SQLite its reads run over read-only connections
on the event loop's thread, each block one snapshot that sees every committed write."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bazaar_catalog.service import build_app
from bazaar_catalog.store import BUMP_GENERATION, CURRENT_GENERATION
from bazaar_chassis import LoopConnection, ServiceSettings
from bazaar_chassis.testing import running_app


async def test_reads_are_quick_read_only_and_see_what_was_committed(
    service_settings: ServiceSettings,
) -> None:
    app = build_app(service_settings)
    runtime = app.state.runtime
    async with running_app(app, caller=None):
        async with runtime.reads() as store:
            assert isinstance(store.connection, LoopConnection)
            before = await store.connection.scalar(text(CURRENT_GENERATION))
            with pytest.raises(OperationalError, match="readonly"):
                await store.connection.execute(text("DELETE FROM generation"))
        async with runtime.unit_of_work() as uow:
            await uow.connection.execute(BUMP_GENERATION)
        async with runtime.reads() as store:
            assert await store.connection.scalar(text(CURRENT_GENERATION)) == before + 1
        assert await runtime.read_value(CURRENT_GENERATION) == before + 1  # the kept answers' read
