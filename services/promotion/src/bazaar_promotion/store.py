"""The promotion, code and redemption tables and their queries: all the SQL of the service.

Redeeming is never read-then-write: a unique (code, order_id) row claims the order's use, and
one conditional UPDATE (`uses < usage_limit`, active, inside both windows) takes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    exists,
    or_,
    select,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import (
    Money,
    StaleVersion,
    UtcDateTime,
    dialect_insert,
    from_row,
    row_values,
    versioned,
)
from bazaar_promotion.domain import Code, Kind, Promotion, Stacking, Value

metadata = MetaData()

promotions = Table(
    "promotions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("value", JSON, nullable=True),
    Column("predicate", JSON, nullable=True),
    Column("threshold", JSON, nullable=True),
    Column("buy", Integer, nullable=True),
    Column("get", Integer, nullable=True),
    Column("priority", Integer, nullable=False),
    Column("stacking", String(20), nullable=False),
    Column("requires_code", Boolean, nullable=False),
    Column("valid_from", UtcDateTime, nullable=False),
    Column("valid_until", UtcDateTime, nullable=True),
    Column("active", Boolean, nullable=False),
    *versioned(),
)

codes = Table(
    "codes",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("promotion_id", String(64), nullable=False, index=True),
    Column("usage_limit", Integer, nullable=True),
    Column("uses", Integer, nullable=False),
    Column("valid_from", UtcDateTime, nullable=False),
    Column("valid_until", UtcDateTime, nullable=True),
    Column("active", Boolean, nullable=False),
    *versioned(),
)

# One row per (code, order): `redeemed`, `refused` or `released`. Its key makes a second
# order.placed for the same order (a redelivery, a re-publish) change nothing. The row with code
# ORDER_MARK says whether the order was `placed` or `cancelled`; both events write it first, so
# the two serialise on it whatever order they arrive in.
ORDER_MARK = ""
redemptions = Table(
    "redemptions",
    metadata,
    Column("code", String(200), nullable=False),  # as the order sent it, maybe no code at all
    Column("order_id", String(64), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("reason", String(500), nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("code", "order_id"),
)


def _money(data: Any) -> Money | None:
    return None if data is None else Money(int(data["amount"]), str(data["currency"]))


def _value(data: Any) -> Value:
    return _money(data) if isinstance(data, dict) else None if data is None else float(data)


def _json(money: Value) -> Any:
    if isinstance(money, Money):
        return {"amount": money.amount, "currency": money.currency}
    return money


def _to_promotion(row: Row[Any]) -> Promotion:
    return from_row(
        Promotion,
        row,
        kind=Kind(row.kind),
        stacking=Stacking(row.stacking),
        value=_value(row.value),
        threshold=_money(row.threshold),
    )


def _promotion_values(promotion: Promotion) -> dict[str, Any]:
    return {
        **row_values(promotion),
        "value": _json(promotion.value),
        "threshold": _json(promotion.threshold),
    }


class PromotionStore:
    """The promotion tables on one connection: what the use cases read and write."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    # --- promotions ---------------------------------------------------------------------------

    async def get_promotion(self, promotion_id: str) -> Promotion | None:
        row = (
            await self.connection.execute(select(promotions).where(promotions.c.id == promotion_id))
        ).first()
        return _to_promotion(row) if row else None

    async def list_promotions(self) -> list[Promotion]:
        rows = await self.connection.execute(
            select(promotions).order_by(promotions.c.priority, promotions.c.id)
        )
        return [_to_promotion(r) for r in rows]

    async def insert_promotion(self, promotion: Promotion) -> None:
        await self.connection.execute(promotions.insert().values(_promotion_values(promotion)))

    async def replace_promotion(self, promotion: Promotion) -> None:
        """Write `promotion` only if the stored row is still at the version it came from."""
        result = await self.connection.execute(
            promotions.update()
            .where(promotions.c.id == promotion.id, promotions.c.version == promotion.version - 1)
            .values(_promotion_values(promotion))
        )
        if result.rowcount != 1:
            current = await self.get_promotion(promotion.id)
            raise StaleVersion(
                resource=f"promotion {promotion.id}",
                expected=promotion.version - 1,
                actual=current.version if current else 0,
            )

    # --- codes --------------------------------------------------------------------------------

    async def get_code(self, code: str) -> Code | None:
        row = (await self.connection.execute(select(codes).where(codes.c.code == code))).first()
        return from_row(Code, row) if row else None

    async def insert_code(self, code: Code) -> bool:
        """Add `code`; False if a code of that name exists (the key decides, not a read)."""
        statement = dialect_insert(self.connection, codes).values(row_values(code))
        result = await self.connection.execute(
            statement.on_conflict_do_nothing(index_elements=[codes.c.code])
        )
        return result.rowcount == 1

    # --- redemptions --------------------------------------------------------------------------

    async def _add_redemption(
        self, *, code: str, order_id: str, status: str, now: datetime, overwrite: bool = False
    ) -> bool:
        """Insert the (code, order) row; an existing one is kept, or with `overwrite` given
        `status`. True if the row is new or overwritten."""
        statement = dialect_insert(self.connection, redemptions).values(
            code=code, order_id=order_id, status=status, reason=None, updated_at=now
        )
        key = [redemptions.c.code, redemptions.c.order_id]
        statement = (
            statement.on_conflict_do_update(
                index_elements=key, set_={"status": status, "updated_at": now}
            )
            if overwrite
            else statement.on_conflict_do_nothing(index_elements=key)
        )
        return (await self.connection.execute(statement)).rowcount == 1

    async def claim(self, *, code: str, order_id: str, now: datetime) -> bool:
        """Start the one redemption of `code` by `order_id`; False if this order already had it."""
        return await self._add_redemption(code=code, order_id=order_id, status="claimed", now=now)

    async def note_placed(self, order_id: str, *, now: datetime) -> bool:
        """Mark `order_id` placed; False if it was cancelled already (then it takes no use)."""
        await self._add_redemption(code=ORDER_MARK, order_id=order_id, status="placed", now=now)
        status = await self.connection.scalar(
            select(redemptions.c.status).where(
                redemptions.c.code == ORDER_MARK, redemptions.c.order_id == order_id
            )
        )
        return status != "cancelled"

    async def note_cancelled(self, order_id: str, *, now: datetime) -> None:
        await self._add_redemption(
            code=ORDER_MARK, order_id=order_id, status="cancelled", now=now, overwrite=True
        )

    async def take_use(self, code: str, *, now: datetime) -> Code | None:
        """One more use of `code` if `domain.refusal` would allow it, in ONE conditional UPDATE.

        Concurrent takers serialise on the row (PostgreSQL re-checks the condition on the row
        it updates; SQLite has one writer), so `uses` never passes `usage_limit`.
        """
        promotion_on = exists().where(
            promotions.c.id == codes.c.promotion_id,
            promotions.c.active.is_(True),
            promotions.c.valid_from <= now,
            or_(promotions.c.valid_until.is_(None), promotions.c.valid_until > now),
        )
        row = (
            await self.connection.execute(
                codes.update()
                .where(
                    codes.c.code == code,
                    codes.c.active.is_(True),
                    or_(codes.c.usage_limit.is_(None), codes.c.uses < codes.c.usage_limit),
                    codes.c.valid_from <= now,
                    or_(codes.c.valid_until.is_(None), codes.c.valid_until > now),
                    promotion_on,
                )
                .values(uses=codes.c.uses + 1, version=codes.c.version + 1, updated_at=now)
                .returning(*codes.c)
            )
        ).first()
        return from_row(Code, row) if row else None

    async def settle(
        self, *, code: str, order_id: str, status: str, reason: str | None, now: datetime
    ) -> None:
        await self.connection.execute(
            redemptions.update()
            .where(redemptions.c.code == code, redemptions.c.order_id == order_id)
            .values(status=status, reason=reason, updated_at=now)
        )

    async def release(self, order_id: str, *, now: datetime) -> list[Code]:
        """Give back every use `order_id` took, once: each redemption moves to `released` in a
        conditional UPDATE, and only then is its code's `uses` lowered."""
        released = await self.connection.execute(
            redemptions.update()
            .where(redemptions.c.order_id == order_id, redemptions.c.status == "redeemed")
            .values(status="released", updated_at=now)
            .returning(redemptions.c.code)
        )
        changed: list[Code] = []
        for code in sorted(row.code for row in released):
            row = (
                await self.connection.execute(
                    codes.update()
                    .where(codes.c.code == code, codes.c.uses > 0)
                    .values(uses=codes.c.uses - 1, version=codes.c.version + 1, updated_at=now)
                    .returning(*codes.c)
                )
            ).first()
            if row is not None:
                changed.append(from_row(Code, row))
        return changed
