"""What the promotion service does, one keyword-only function per use case (the API only parses).

Writes are for promotion staff, checked here as well as at the gateway. Redeeming and releasing
codes are driven by order events (consumers.py) and run on the same store protocol, so the unit
tests run every use case on an in-memory fake (tests/unit/test_promotion_use_cases.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bazaar_chassis import Caller, Clock, Reads, Units, Work, new_id, utc_now
from bazaar_promotion import domain, events
from bazaar_promotion.domain import Code, Promotion, Terms

MAX_CODE_LENGTH = 200  # longer "codes" in an order are refused under their first 200 characters


class Promotions(Protocol):
    """The promotion store as the use cases need it (`store.PromotionStore` in production)."""

    async def get_promotion(self, promotion_id: str) -> Promotion | None: ...
    async def list_promotions(self) -> list[Promotion]: ...
    async def insert_promotion(self, promotion: Promotion) -> None: ...
    async def replace_promotion(self, promotion: Promotion) -> None: ...
    async def get_code(self, code: str) -> Code | None: ...
    async def insert_code(self, code: Code) -> bool: ...
    async def note_placed(self, order_id: str, *, now: datetime) -> bool: ...
    async def note_cancelled(self, order_id: str, *, now: datetime) -> None: ...
    async def claim(self, *, code: str, order_id: str, now: datetime) -> bool: ...
    async def take_use(self, code: str, *, now: datetime) -> Code | None: ...
    async def settle(
        self, *, code: str, order_id: str, status: str, reason: str | None, now: datetime
    ) -> None: ...
    async def release(self, order_id: str, *, now: datetime) -> list[Code]: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one code of a placed order."""

    code: str
    redeemed: bool
    reason: str | None = None


# --- promotions -------------------------------------------------------------------------------


async def create_promotion(
    *, units: Units[Promotions], caller: Caller, terms: Terms, clock: Clock = utc_now
) -> Promotion:
    domain.check_may_manage(caller, "create promotions")
    promotion = domain.new_promotion(id=new_id(), terms=terms, now=clock())
    async with units() as work:
        await work.store.insert_promotion(promotion)
        _announce_promotion(work, promotion)
    return promotion


async def list_promotions(
    *, reads: Reads[Promotions], caller: Caller, clock: Clock = utc_now
) -> list[Promotion]:
    """All promotions for staff and services; for shoppers only those on offer now."""
    async with reads() as store:
        found = await store.list_promotions()
    if domain.may_see_everything(caller):
        return found
    now = clock()
    return [p for p in found if p.on_offer(now)]


async def get_promotion(
    *, reads: Reads[Promotions], caller: Caller, promotion_id: str, clock: Clock = utc_now
) -> Promotion:
    async with reads() as store:
        promotion = await store.get_promotion(promotion_id)
    if promotion is None or not (domain.may_see_everything(caller) or promotion.on_offer(clock())):
        raise domain.PromotionNotFound(promotion_id)
    return promotion


async def revise_promotion(
    *,
    units: Units[Promotions],
    caller: Caller,
    promotion_id: str,
    expected_version: int,
    changes: Mapping[str, Any],
    clock: Clock = utc_now,
) -> Promotion:
    """Change some terms (409 if `expected_version` is stale); ending one is `active: false`."""
    domain.check_may_manage(caller, "change promotions")
    async with units() as work:
        current = await _existing(work.store, promotion_id)
        revised = domain.revise(
            current, expected_version=expected_version, changes=changes, now=clock()
        )
        await work.store.replace_promotion(revised)
        _announce_promotion(work, revised)
    return revised


async def _existing(store: Promotions, promotion_id: str) -> Promotion:
    promotion = await store.get_promotion(promotion_id)
    if promotion is None:
        raise domain.PromotionNotFound(promotion_id)
    return promotion


def _announce_promotion(work: Work[Promotions], promotion: Promotion) -> None:
    work.emit(
        events.PROMOTION_CHANGED,
        subject=promotion.id,
        sequence=promotion.version,
        data=events.promotion_state(promotion),
    )


# --- codes ------------------------------------------------------------------------------------


async def add_code(
    *,
    units: Units[Promotions],
    caller: Caller,
    promotion_id: str,
    code: str,
    usage_limit: int | None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    clock: Clock = utc_now,
) -> Code:
    """A code that unlocks the promotion; its window defaults to the promotion's."""
    domain.check_may_manage(caller, "add discount codes")
    async with units() as work:
        promotion = await _existing(work.store, promotion_id)
        added = domain.new_code(
            code=code,
            promotion=promotion,
            usage_limit=usage_limit,
            valid_from=valid_from,
            valid_until=valid_until,
            now=clock(),
        )
        if not await work.store.insert_code(added):
            raise domain.DuplicateCode(added.code)
        _announce_code(work, added)
    return added


async def get_code(*, reads: Reads[Promotions], caller: Caller, code: str) -> Code:
    """A code with its uses and limit: for staff and services (a shopper's cart knows codes)."""
    if not domain.may_see_everything(caller):
        raise domain.NotPromotionStaff(caller, "read discount codes")
    name = domain.normalize_code(code)
    async with reads() as store:
        found = await store.get_code(name)
    if found is None:
        raise domain.CodeNotFound(name)
    return found


def _announce_code(work: Work[Promotions], code: Code) -> None:
    work.emit(
        events.CODE_CHANGED, subject=code.code, sequence=code.version, data=events.code_state(code)
    )


# --- usage, driven by the order's events --------------------------------------------------------


async def redeem_codes(
    *, units: Units[Promotions], order_id: str, codes: Sequence[str], at: datetime
) -> list[Outcome]:
    """Count each code once for `order_id` (a code already decided for it is skipped), as of
    `at`, the time the order was placed. Announces each use and each refusal. An order whose
    cancellation arrived first takes no use."""
    outcomes: list[Outcome] = []
    names = dict.fromkeys(domain.normalize_code(c)[:MAX_CODE_LENGTH] for c in codes if c.strip())
    async with units() as work:
        still_open = await work.store.note_placed(order_id, now=at)
        for name in names:
            if not await work.store.claim(code=name, order_id=order_id, now=at):
                continue
            taken = await work.store.take_use(name, now=at) if still_open else None
            if taken is not None:
                await work.store.settle(
                    code=name, order_id=order_id, status="redeemed", reason=None, now=at
                )
                work.emit(
                    events.CODE_REDEEMED,
                    subject=order_id,
                    sequence=1,
                    data=events.redeemed(
                        order_id=order_id, code=name, promotion_id=taken.promotion_id
                    ),
                )
                _announce_code(work, taken)
                outcomes.append(Outcome(code=name, redeemed=True))
                continue
            reason = (
                await _why_not(work.store, name, at) or "code could not be redeemed"
                if still_open
                else "the order was cancelled"
            )
            await work.store.settle(
                code=name, order_id=order_id, status="refused", reason=reason, now=at
            )
            work.emit(
                events.CODE_REFUSED,
                subject=order_id,
                sequence=1,
                data=events.refused(order_id=order_id, code=name, reason=reason),
            )
            outcomes.append(Outcome(code=name, redeemed=False, reason=reason))
    return outcomes


async def _why_not(store: Promotions, name: str, at: datetime) -> str | None:
    """Only explains a refusal the conditional update already made; it never decides one."""
    code = await store.get_code(name)
    promotion = await store.get_promotion(code.promotion_id) if code else None
    return domain.refusal(code, promotion, at)


async def release_codes(
    *, units: Units[Promotions], order_id: str, clock: Clock = utc_now
) -> list[Code]:
    """Give back the uses a cancelled order took (once, however often it is cancelled); if the
    order's placement has not been applied yet, it will take none."""
    now = clock()
    async with units() as work:
        await work.store.note_cancelled(order_id, now=now)
        changed = await work.store.release(order_id, now=now)
        for code in changed:
            _announce_code(work, code)
    return changed
