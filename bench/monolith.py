"""The in-process monolith of the seed's figure 2-10, for scenario P1 (c): the baseline.

One process and one database holding everything — products, prices, stock, categories and
placements in normalized tables — and the category page from ONE SQL query (a five-way join with
the total as a window function). It is built on the same stack as the services (FastAPI on
uvicorn with uvloop and httptools, SQLAlchemy Core on aiosqlite with WAL, the catalog's own
pydantic response models), so the comparison isolates the architecture, not the libraries. It
has none of the services' cross-cutting work (identity assertions, metrics, tracing, request
ids): that is part of what the microservice design costs, and this baseline is meant to show it.

The data is the platform's own demo catalog (`bazaar_cli.demo_data`), the same products the
catalog holds after `bazaar up` seeded it. Run as
`python -m bench.monolith --port N --database PATH`.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bazaar_catalog.api.v1 import CategoryOut, CategoryPage
from bazaar_chassis import Money
from bazaar_cli.demo_data import CATEGORIES, PRODUCTS
from bazaar_shelf.card import ItemOut
from bench.serving import serve

SCHEMA = [
    "CREATE TABLE categories (key TEXT PRIMARY KEY, name TEXT NOT NULL, parent TEXT,"
    " position INTEGER NOT NULL)",
    "CREATE TABLE products (sku TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL,"
    " status TEXT NOT NULL)",
    "CREATE TABLE prices (sku TEXT NOT NULL, currency TEXT NOT NULL, amount INTEGER NOT NULL,"
    " PRIMARY KEY (sku, currency))",
    "CREATE TABLE stock (sku TEXT PRIMARY KEY, available INTEGER NOT NULL)",
    "CREATE TABLE placements (category_key TEXT NOT NULL, sku TEXT NOT NULL,"
    " position INTEGER NOT NULL, PRIMARY KEY (category_key, sku))",
    "CREATE INDEX placements_by_position ON placements (category_key, position, sku)",
]

PAGE_QUERY = text(
    """
    SELECT c.key AS category_key, c.name AS category_name, c.parent,
           c.position AS category_position,
           p.sku, p.name, pr.amount, pr.currency, coalesce(s.available, 0) AS available,
           count(*) OVER () AS total
    FROM categories c
    JOIN placements pl ON pl.category_key = c.key
    JOIN products p ON p.sku = pl.sku AND p.status = 'active'
    LEFT JOIN prices pr ON pr.sku = p.sku AND pr.currency = 'USD'
    LEFT JOIN stock s ON s.sku = p.sku
    WHERE c.key = :key
    ORDER BY pl.position, pl.sku
    LIMIT :limit OFFSET :offset
    """
)
CATEGORY_QUERY = text("SELECT key, name, parent, position FROM categories WHERE key = :key")


def _engine(path: Path) -> AsyncEngine:
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", pool_size=4, max_overflow=0)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


async def _seed(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        for statement in SCHEMA:
            await connection.execute(text(statement))
        await connection.execute(
            text("INSERT INTO categories VALUES (:key, :name, :parent, :position)"),
            [{"key": k, "name": n, "parent": p, "position": pos} for k, n, p, pos in CATEGORIES],
        )
        rows = [
            {
                "sku": p.sku,
                "name": p.name,
                "description": p.description,
                "amount": p.price,
                "stock": p.stock,
                "category": p.category,
                "position": position,
            }
            for position, p in enumerate(PRODUCTS)
        ]
        await connection.execute(
            text("INSERT INTO products VALUES (:sku, :name, :description, 'active')"), rows
        )
        await connection.execute(text("INSERT INTO prices VALUES (:sku, 'USD', :amount)"), rows)
        await connection.execute(text("INSERT INTO stock VALUES (:sku, :stock)"), rows)
        await connection.execute(
            text("INSERT INTO placements VALUES (:category, :sku, :position)"), rows
        )


def build_app(database: Path) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        fresh = not await asyncio.to_thread(database.exists)
        engine = _engine(database)
        if fresh:
            await _seed(engine)
        app.state.engine = engine
        yield
        await engine.dispose()

    app = FastAPI(title="monolith baseline", lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/catalog/1/categories/{key}/products")
    async def category_page(
        key: str,
        request: Request,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> CategoryPage:
        engine: AsyncEngine = request.app.state.engine
        async with engine.connect() as connection:
            rows = (
                await connection.execute(PAGE_QUERY, {"key": key, "limit": limit, "offset": offset})
            ).all()
            if not rows:  # an empty page (or no such category): the one case for a 2nd query
                category = (await connection.execute(CATEGORY_QUERY, {"key": key})).first()
                if category is None:
                    raise HTTPException(404, f"no category {key!r}")
                head = CategoryOut(
                    key=category.key,
                    name=category.name,
                    parent=category.parent,
                    position=category.position,
                )
                return CategoryPage(category=head, total=0, limit=limit, offset=offset, items=[])
        first = rows[0]
        return CategoryPage(
            category=CategoryOut(
                key=first.category_key,
                name=first.category_name,
                parent=first.parent,
                position=first.category_position,
            ),
            total=first.total,
            limit=limit,
            offset=offset,
            items=[
                ItemOut(
                    sku=row.sku,
                    name=row.name,
                    price=Money(amount=row.amount, currency=row.currency)
                    if row.amount is not None
                    else None,
                    available=row.available,
                    in_stock=row.available > 0,
                )
                for row in rows
            ],
        )

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", type=Path, required=True)
    args = parser.parse_args()
    serve(build_app(args.database), port=args.port)


if __name__ == "__main__":
    main()
