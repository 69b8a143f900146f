"""The console's own tables (schema in migrations/): what it keeps across restarts."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

spans = Table(
    "spans",
    metadata,
    Column("trace_id", String(32), primary_key=True),
    Column("span_id", String(16), primary_key=True),
    Column("parent_id", String(16)),
    Column("name", String(300), nullable=False),
    Column("service", String(64), nullable=False),
    Column("release", String(64), nullable=False),
    Column("major", Integer),
    Column("kind", String(16), nullable=False),
    Column("start_ns", BigInteger, nullable=False),
    Column("end_ns", BigInteger, nullable=False),
    Column("error", Boolean, nullable=False),
    Column("request_id", String(64)),
    Column("entity", String(200)),
    Column("target", String(500)),
    Column("attributes", Text, nullable=False),
)

samples = Table(
    "samples",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("service", String(64), nullable=False),
    Column("major", String(16), nullable=False),
    Column("release", String(64), nullable=False),
    Column("method", String(16), nullable=False),
    Column("route", String(300), nullable=False),
    Column("status", Integer, nullable=False),
    Column("count", Float, nullable=False),
    Column("total_seconds", Float, nullable=False),
    Column("buckets", Text, nullable=False),
)

baselines = Table(
    "baselines",
    metadata,
    Column("series", String(700), primary_key=True),
    Column("count", Float, nullable=False),
    Column("buckets", Text, nullable=False),
    Column("total_seconds", Float, nullable=False),
)

discarded = Table(
    "discarded",
    metadata,
    Column("sequence", BigInteger, primary_key=True),
    Column("event_id", String(64)),
    Column("event_type", String(120)),
    Column("consumer", String(64), nullable=False),
    Column("error", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("by", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("service", String(64), nullable=False),
    Column("release", String(64), nullable=False),
    Column("metric", String(64), nullable=False),
    Column("labels", Text, nullable=False),
    Column("gain", Float, nullable=False),
)

counter_baselines = Table(
    "counter_baselines",
    metadata,
    Column("series", String(700), primary_key=True),
    Column("value", Float, nullable=False),
    Column("seen_at", Float, nullable=False),
)
