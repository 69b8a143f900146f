"""Order holds: what became of each order's reservations, one row per order id.

Revision ID: inventory_0002
Revises: inventory_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "inventory_0002"
down_revision = "inventory_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_holds",
        sa.Column("order_id", sa.String(200), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reservations_reference", "reservations", ["reference"])
