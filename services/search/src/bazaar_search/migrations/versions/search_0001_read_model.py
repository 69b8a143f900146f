"""Search read model: products with their full-text index, categories, placements, spellings.

SQLite: an FTS5 index with external content (`products` holds the text; triggers keep the index
equal to it, re-indexing a row only when its words change). PostgreSQL: a generated tsvector
column (name weight A, description weight B) with a GIN index.

Revision ID: search_0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "search_0001"
down_revision = None
branch_labels = ("search",)
depends_on = None

SQLITE_INDEX = [
    """CREATE VIRTUAL TABLE products_fts USING fts5(
        name_terms, description_terms, content='products', content_rowid='id',
        tokenize='unicode61', prefix='2 3 4'
    )""",
    """CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
        INSERT INTO products_fts(rowid, name_terms, description_terms)
        VALUES (new.id, new.name_terms, new.description_terms);
    END""",
    """CREATE TRIGGER products_fts_update AFTER UPDATE OF name_terms, description_terms
    ON products BEGIN
        INSERT INTO products_fts(products_fts, rowid, name_terms, description_terms)
        VALUES ('delete', old.id, old.name_terms, old.description_terms);
        INSERT INTO products_fts(rowid, name_terms, description_terms)
        VALUES (new.id, new.name_terms, new.description_terms);
    END""",
]
POSTGRES_INDEX = [
    """ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(name_terms, '')), 'A') ||
        setweight(to_tsvector('simple'::regconfig, coalesce(description_terms, '')), 'B')
    ) STORED""",
    "CREATE INDEX products_search ON products USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sku", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200)),
        sa.Column("name_terms", sa.Text),
        sa.Column("description_terms", sa.Text),
        sa.Column("status", sa.String(20)),
        sa.Column("product_seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("price_amount", sa.Integer),
        sa.Column("price_currency", sa.String(3)),
        sa.Column("price_seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("available", sa.Integer, nullable=False, server_default="0"),
        sa.Column("stock_seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "categories",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("parent", sa.String(64)),
        sa.Column("seq", sa.Integer, nullable=False),
    )
    op.create_index("categories_children", "categories", ["parent"])
    op.create_table(
        "placements",
        sa.Column("category_key", sa.String(64), primary_key=True),
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("assigned", sa.Boolean, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
    )
    op.create_index("placements_of_sku", "placements", ["sku"])
    op.create_table(
        "spellings",
        sa.Column("variant", sa.String(64), primary_key=True),
        sa.Column("word", sa.String(64), primary_key=True),
    )
    statements = SQLITE_INDEX if op.get_bind().dialect.name == "sqlite" else POSTGRES_INDEX
    for statement in statements:
        op.execute(statement)
