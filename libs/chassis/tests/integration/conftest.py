"""A two-service testbed for the chassis: `notes` publishes `notes.note_written.v1`, `sink`
consumes it and counts how often each note was applied (to prove effects happen once)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nats
import pytest
from fastapi import APIRouter, FastAPI
from nats.js.api import RawStreamMsg
from nats.js.errors import NotFoundError
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from bazaar_chassis import (
    Event,
    InvalidInput,
    RuntimeDep,
    ServiceDefinition,
    ServiceSettings,
    UnitOfWork,
    create_app,
)
from bazaar_platform.provisioning import DLQ_STREAM

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("text", String(200), nullable=False),
    Column("version", Integer, nullable=False),
)
applied = Table(
    "applied",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("text", String(200), nullable=False),
    Column("times", Integer, nullable=False),
)
MIGRATIONS = Path(__file__).parent / "testbed_migrations"


class NoteIn(BaseModel):
    text: str


router = APIRouter()


@router.put("/notes/{key}", status_code=201)
async def write_note(key: str, body: NoteIn, runtime: RuntimeDep) -> dict[str, object]:
    if body.text == "forbidden":
        raise InvalidInput("the text 'forbidden' is not allowed")
    if body.text == "explode":
        raise RuntimeError("secret internal detail")
    async with runtime.unit_of_work() as uow:
        current = await uow.connection.scalar(select(notes.c.version).where(notes.c.key == key))
        version = (current or 0) + 1
        if current is None:
            await uow.connection.execute(notes.insert().values(key=key, text=body.text, version=1))
        else:
            await uow.connection.execute(
                notes.update().where(notes.c.key == key).values(text=body.text, version=version)
            )
        uow.emit("notes.note_written.v1", subject=key, sequence=version, data={"text": body.text})
    return {"key": key, "version": version}


async def on_note_written(event: Event, uow: UnitOfWork) -> None:
    if event.data["text"] == "poison":
        raise ValueError("this note can never be applied")
    current = await uow.connection.scalar(
        select(applied.c.times).where(applied.c.key == event.subject)
    )
    if current is None:
        await uow.connection.execute(
            applied.insert().values(key=event.subject, text=event.data["text"], times=1)
        )
    else:
        await uow.connection.execute(
            applied.update()
            .where(applied.c.key == event.subject)
            .values(text=event.data["text"], times=current + 1)
        )


NOTES = ServiceDefinition(
    name="notes",
    version="1.0.0",
    description="chassis testbed producer",
    apis={1: router},
    migrations=MIGRATIONS,
    publishes=["notes.note_written.v1"],
)
SINK = ServiceDefinition(
    name="sink",
    version="1.0.0",
    description="chassis testbed consumer",
    apis={},
    migrations=MIGRATIONS,
    handlers={"notes.note_written": on_note_written},
)

AppFactory = Callable[..., FastAPI]


async def last_dead_letter(nats_url: str) -> RawStreamMsg | None:
    """The last event the sink dead-lettered, or None (none yet, or no `DLQ` stream)."""
    raw = await nats.connect(nats_url)
    try:
        return await raw.jetstream().get_last_msg(DLQ_STREAM, "bazaar.dlq.sink")
    except NotFoundError:
        return None
    finally:
        await raw.close()


@pytest.fixture
def bus_producers() -> tuple[str, ...]:
    """The testbed's producers get their streams, as the operator gives the platform's theirs."""
    return ("notes", "burster")


@pytest.fixture
def notes_app(service_settings: ServiceSettings, database_url: str) -> AppFactory:
    def build(**overrides: object) -> FastAPI:
        settings = service_settings.model_copy(update={"database_url": database_url, **overrides})
        return create_app(NOTES, settings)

    return build


@pytest.fixture
def sink_app(service_settings: ServiceSettings, second_database_url: str) -> AppFactory:
    def build(**overrides: object) -> FastAPI:
        settings = service_settings.model_copy(
            update={"database_url": second_database_url, **overrides}
        )
        return create_app(SINK, settings)

    return build
