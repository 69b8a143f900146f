"""Payment ledger: amounts as 64-bit integers.

An order's total can pass 2^31-1 minor units (pricing accepts prices up to 10^11); on PostgreSQL
a 32-bit column refused it, and the order was never authorized.

Revision ID: payment_0002
Revises: payment_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "payment_0002"
down_revision = "payment_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite's INTEGER already holds 64 bits; PostgreSQL's `integer` holds 32.
    if op.get_bind().dialect.name == "postgresql":
        for table in ("payments", "payment_transactions"):
            op.alter_column(table, "amount", type_=sa.BigInteger(), existing_type=sa.Integer())
