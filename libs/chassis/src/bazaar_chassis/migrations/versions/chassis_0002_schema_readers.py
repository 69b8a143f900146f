"""Which releases can use the schema: for each branch head, the oldest revision a release must
know to use it (null = any), so an older release can tell a compatible newer schema from one
it cannot use.

Revision ID: chassis_0002
Revises: chassis_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "chassis_0002"
down_revision = "chassis_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schema_readers",
        sa.Column("head", sa.String(64), primary_key=True),
        sa.Column("oldest_reader", sa.String(64), nullable=True),
    )
