"""What each service instance counted (requests per route, events published and consumed), per
scrape, and each instance's scrape baselines.

Revision ID: console_0002
Revises: console_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "console_0002"
down_revision = "console_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False, index=True),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("release", sa.String(64), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("gain", sa.Float, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "counter_baselines",
        sa.Column("series", sa.String(700), primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("seen_at", sa.Float, nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("counter_baselines")
    op.drop_table("counters")
