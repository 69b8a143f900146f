"""Notification API v1: the caller's own messages; admins and operators may ask by address.

The route parses, calls one use case and answers; who may read what is decided in `domain`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bazaar_chassis import CallerDep, Offset, ReadsDep, Text
from bazaar_notification import use_cases
from bazaar_notification.domain import Delivery

router = APIRouter()


class MessageOut(BaseModel):
    to: str
    subject: str
    body: str
    sent_at: datetime = Field(description="when the platform wrote the message")
    kind: str
    order_id: str | None
    delivery: Delivery = Field(description="stored, pending, delivered or failed (SMTP)")
    delivered_at: datetime | None


class MessagePage(BaseModel):
    total: int
    items: list[MessageOut]


@router.get("/messages")
async def list_messages(
    reads: ReadsDep,
    caller: CallerDep,
    to: Annotated[Text | None, Query(min_length=3, max_length=254)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> MessagePage:
    total, messages = await use_cases.list_messages(
        reads=reads, caller=caller, to=to, limit=limit, offset=offset
    )
    return MessagePage(
        total=total,
        items=[MessageOut.model_validate(m, from_attributes=True) for m in messages],
    )
