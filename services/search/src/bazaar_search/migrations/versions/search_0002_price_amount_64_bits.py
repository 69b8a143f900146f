"""Search read model: a shown price's amount as a 64-bit integer.

Pricing accepts up to 10^11 minor units; on PostgreSQL a 32-bit column refused any price past
2^31-1, and the consumer could not apply that event.

Revision ID: search_0002
Revises: search_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "search_0002"
down_revision = "search_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite's INTEGER already holds 64 bits; PostgreSQL's `integer` holds 32.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "products", "price_amount", type_=sa.BigInteger(), existing_type=sa.Integer()
        )
