"""The provider's own SQLite file: card tokens, intents, refunds, idempotent replies, due work and
the webhook queue. Everything it promised survives a restart (stdlib sqlite3: the provider is small
and single-threaded, every call is a few microseconds)."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS methods (
  id TEXT PRIMARY KEY, card_number TEXT NOT NULL, brand TEXT NOT NULL, last4 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS intents (
  id TEXT PRIMARY KEY, amount INTEGER NOT NULL, currency TEXT NOT NULL,
  payment_method TEXT NOT NULL, capture INTEGER NOT NULL, metadata TEXT NOT NULL,
  status TEXT NOT NULL, last_error TEXT, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS refunds (
  id TEXT PRIMARY KEY, payment_intent TEXT NOT NULL, amount INTEGER NOT NULL,
  status TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS replies (
  key TEXT PRIMARY KEY, path TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failed_once (key TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, action TEXT NOT NULL, target TEXT NOT NULL,
  due REAL NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks (
  id TEXT PRIMARY KEY, payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt REAL NOT NULL, delivered REAL);
"""


def new_ref(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: dict[str, Any]


class ProviderStore:
    def __init__(self, path: Path, *, on_due_now: Callable[[], None] = lambda: None) -> None:
        """`on_due_now` is told when work is scheduled without a delay, so that it is done at
        once rather than at the worker's next poll."""
        self._on_due_now = on_due_now
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives a process crash
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # card tokens
    def add_method(self, card_number: str, brand: str) -> dict[str, Any]:
        method = {"id": new_ref("pm"), "brand": brand, "last4": card_number[-4:]}
        self.db.execute(
            "INSERT INTO methods VALUES (?, ?, ?, ?)",
            (method["id"], card_number, brand, method["last4"]),
        )
        return method

    def card_number(self, method_id: str) -> str | None:
        row = self.db.execute(
            "SELECT card_number FROM methods WHERE id = ?", (method_id,)
        ).fetchone()
        return str(row["card_number"]) if row else None

    # idempotency
    def reply_for(self, key: str) -> tuple[str, Reply] | None:
        row = self.db.execute("SELECT * FROM replies WHERE key = ?", (key,)).fetchone()
        return (row["path"], Reply(row["status"], json.loads(row["body"]))) if row else None

    def remember_reply(self, key: str, path: str, reply: Reply) -> None:
        self.db.execute(
            "INSERT INTO replies VALUES (?, ?, ?, ?)",
            (key, path, reply.status, json.dumps(reply.body)),
        )

    def first_attempt(self, key: str) -> bool:
        """True once per key: the transient card fails exactly that attempt."""
        cursor = self.db.execute("INSERT OR IGNORE INTO failed_once VALUES (?)", (key,))
        return cursor.rowcount == 1

    # intents and refunds
    def add_intent(
        self, *, amount: int, currency: str, method: str, capture: bool, metadata: dict[str, str]
    ) -> dict[str, Any]:
        ref = new_ref("pi")
        self.db.execute(
            "INSERT INTO intents VALUES (?, ?, ?, ?, ?, ?, 'processing', NULL, ?)",
            (ref, amount, currency, method, int(capture), json.dumps(metadata), time.time()),
        )
        intent = self.intent(ref)
        assert intent is not None
        return intent

    def intent(self, ref: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM intents WHERE id = ?", (ref,)).fetchone()
        return _intent(row) if row else None

    def intents_of_order(self, order_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT * FROM intents WHERE json_extract(metadata, '$.order_id') = ? ORDER BY created",
            (order_id,),
        )
        return [_intent(row) for row in rows]

    def set_status(self, ref: str, status: str, last_error: dict[str, str] | None = None) -> None:
        self.db.execute(
            "UPDATE intents SET status = ?, last_error = ? WHERE id = ?",
            (status, json.dumps(last_error) if last_error else None, ref),
        )

    def add_refund(self, intent_ref: str, amount: int) -> dict[str, Any]:
        ref = new_ref("re")
        self.db.execute(
            "INSERT INTO refunds VALUES (?, ?, ?, 'pending', ?)",
            (ref, intent_ref, amount, time.time()),
        )
        refund = self.refund(ref)
        assert refund is not None
        return refund

    def refund(self, ref: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM refunds WHERE id = ?", (ref,)).fetchone()
        if row is None:
            return None
        intent = self.intent(row["payment_intent"])
        return {
            "id": row["id"],
            "object": "refund",
            "payment_intent": row["payment_intent"],
            "amount": row["amount"],
            "currency": intent["currency"] if intent else "USD",
            "status": row["status"],
            "metadata": intent["metadata"] if intent else {},
        }

    def refunded_amount(self, intent_ref: str) -> int:
        total = self.db.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE payment_intent = ?", (intent_ref,)
        ).fetchone()[0]
        return int(total)

    def set_refund_status(self, ref: str, status: str) -> None:
        self.db.execute("UPDATE refunds SET status = ? WHERE id = ?", (status, ref))

    # due work: results the provider owes, then the webhooks that announce them
    def schedule(self, action: str, target: str, *, delay: float = 0.0) -> None:
        self.db.execute(
            "INSERT INTO jobs (action, target, due) VALUES (?, ?, ?)",
            (action, target, time.time() + delay),
        )
        if delay <= 0:
            self._on_due_now()

    def take_due_jobs(self) -> list[tuple[str, str]]:
        rows = self.db.execute(
            "DELETE FROM jobs WHERE due <= ? RETURNING action, target", (time.time(),)
        ).fetchall()
        return [(row["action"], row["target"]) for row in rows]

    def enqueue_webhook(self, type: str, obj: dict[str, Any]) -> None:
        event = {
            "id": new_ref("evt"),
            "type": type,
            "created": int(time.time()),
            "data": {"object": obj},
        }
        self.db.execute(
            "INSERT INTO webhooks (id, payload, next_attempt) VALUES (?, ?, ?)",
            (event["id"], json.dumps(event), time.time()),
        )

    def due_webhooks(self, limit: int = 50) -> list[tuple[str, str, int]]:
        rows = self.db.execute(
            "SELECT id, payload, attempts FROM webhooks WHERE delivered IS NULL "
            "AND next_attempt <= ? ORDER BY next_attempt LIMIT ?",
            (time.time(), limit),
        )
        return [(row["id"], row["payload"], row["attempts"]) for row in rows]

    def webhook_delivered(self, event_id: str) -> None:
        self.db.execute("UPDATE webhooks SET delivered = ? WHERE id = ?", (time.time(), event_id))

    def webhook_failed(self, event_id: str, *, retry_in: float) -> None:
        self.db.execute(
            "UPDATE webhooks SET attempts = attempts + 1, next_attempt = ? WHERE id = ?",
            (time.time() + retry_in, event_id),
        )


def _intent(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "payment_intent",
        "amount": row["amount"],
        "currency": row["currency"],
        "payment_method": row["payment_method"],
        "capture": bool(row["capture"]),
        "metadata": json.loads(row["metadata"]),
        "status": row["status"],
        "last_error": json.loads(row["last_error"]) if row["last_error"] else None,
    }
