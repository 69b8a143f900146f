"""One catalog instance on its own, on a seeded database: the service's read path without the
rest of the platform, for P1b (and for profiling it) on a machine too busy for `bazaar up`.

`python -m bench.catalog_alone --port N --data-dir D --public-key-file K`: seeds D/catalog.db
(5 categories; "coffee" lists 30 priced, stocked products) and serves the real catalog app
(`bazaar_catalog.service.build_app`) on uvicorn with uvloop and httptools, as `bazaar up` does.
It has no NATS to talk to: the bus keeps retrying in the background, reads are unaffected.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bazaar_catalog.service import DEFINITION, build_app
from bazaar_catalog.store import categories, items, placements
from bazaar_chassis import ServiceSettings
from bazaar_chassis.database import Database
from bench.serving import serve

CATEGORIES = ["coffee", "tea", "cocoa", "mugs", "filters"]
PRODUCTS = 30


async def seed(settings: ServiceSettings) -> None:
    database = Database(settings.database_url_for("catalog"))
    assert DEFINITION.migrations is not None
    await database.migrate([DEFINITION.migrations])
    now = datetime.now(UTC)
    async with database.transaction() as connection:
        await connection.execute(
            categories.insert(),
            [
                {"key": key, "name": key.title(), "parent": None, "position": n, "seq": 1}
                for n, key in enumerate(CATEGORIES)
            ],
        )
        skus = [f"COF-{n:03d}" for n in range(PRODUCTS)]
        await connection.execute(
            items.insert(),
            [
                {
                    "sku": sku,
                    "name": f"Coffee {sku}",
                    "description": "A coffee for benchmarks",
                    "status": "active",
                    "product_seq": 1,
                    "price_amount": 1000 + n,
                    "price_currency": "USD",
                    "price_seq": 1,
                    "available": 10 + n,
                    "stock_seq": 1,
                    "updated_at": now,
                }
                for n, sku in enumerate(skus)
            ],
        )
        await connection.execute(
            placements.insert(),
            [
                {"category_key": "coffee", "sku": sku, "position": n, "assigned": True, "seq": 1}
                for n, sku in enumerate(skus)
            ],
        )
    await database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--assertion-key-file", type=Path, required=True)
    args = parser.parse_args()
    settings = ServiceSettings(
        data_dir=args.data_dir,
        port=0,  # no registration: there is no registry to register with
        nats_url="nats://127.0.0.1:9",  # nothing listens there
        assertion_key_file=args.assertion_key_file,
        log_level="warning",
    )
    asyncio.run(seed(settings))
    serve(build_app(settings), port=args.port)


if __name__ == "__main__":
    main()
