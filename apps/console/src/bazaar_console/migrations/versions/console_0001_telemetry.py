"""Spans, metric samples and scrape baselines, and the dead letters an operator discarded.

Revision ID: console_0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "console_0001"
down_revision = None
branch_labels = ("console",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spans",
        sa.Column("trace_id", sa.String(32), primary_key=True),
        sa.Column("span_id", sa.String(16), primary_key=True),
        sa.Column("parent_id", sa.String(16), nullable=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("release", sa.String(64), nullable=False),
        sa.Column("major", sa.Integer, nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("start_ns", sa.BigInteger, nullable=False, index=True),
        sa.Column("end_ns", sa.BigInteger, nullable=False),
        sa.Column("error", sa.Boolean, nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True, index=True),
        sa.Column("entity", sa.String(200), nullable=True, index=True),
        sa.Column("target", sa.String(500), nullable=True),
        sa.Column("attributes", sa.Text, nullable=False),
    )
    op.create_table(
        "samples",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False, index=True),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("major", sa.String(16), nullable=False),
        sa.Column("release", sa.String(64), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("route", sa.String(300), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("count", sa.Float, nullable=False),
        sa.Column("total_seconds", sa.Float, nullable=False),
        sa.Column("buckets", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "baselines",
        sa.Column("series", sa.String(700), primary_key=True),
        sa.Column("count", sa.Float, nullable=False),
        sa.Column("buckets", sa.Text, nullable=False),
        sa.Column("total_seconds", sa.Float, nullable=False),
    )
    op.create_table(
        "discarded",
        sa.Column("sequence", sa.BigInteger, primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=True),
        sa.Column("event_type", sa.String(120), nullable=True),
        sa.Column("consumer", sa.String(64), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("discarded", "baselines", "samples", "spans"):
        op.drop_table(table)
