"""Categories (a tree) and memberships (products placed in a category).

Revision ID: category_0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "category_0001"
down_revision = None
branch_labels = ("category",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("parent", sa.String(64), sa.ForeignKey("categories.key"), nullable=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_categories_parent", "categories", ["parent"])
    op.create_table(
        "memberships",
        sa.Column(
            "category_key",
            sa.String(64),
            sa.ForeignKey("categories.key"),
            primary_key=True,
        ),
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("assigned", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_memberships_sku", "memberships", ["sku"])
