"""A service's `/metrics` answers only the scrapers holding the token whose digest it was given,
and counts events by name, published and consumed alike."""

from __future__ import annotations

import hashlib

from bazaar_chassis.testing import eventually, running_app

from .conftest import AppFactory

TOKEN = "scrape-token-of-the-tests"
DIGEST = hashlib.sha256(TOKEN.encode()).hexdigest()


async def test_metrics_answer_only_the_bearer_of_the_scrape_token(notes_app: AppFactory) -> None:
    async with running_app(notes_app(metrics_token_sha256=DIGEST)) as client:
        anonymous = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        digest_itself = await client.get("/metrics", headers={"Authorization": f"Bearer {DIGEST}"})
        scraper = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        health = await client.get("/healthz")
    assert [anonymous.status_code, wrong.status_code, digest_itself.status_code] == [401] * 3
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert "scrape token" in anonymous.json()["detail"]
    assert scraper.status_code == 200
    assert "bazaar_http_request_duration_seconds" in scraper.text
    assert health.status_code == 200  # probes need no token


async def test_published_and_consumed_events_are_counted_by_name(
    notes_app: AppFactory, sink_app: AppFactory
) -> None:
    async with running_app(notes_app()) as notes, running_app(sink_app()) as sink:
        for key in ("a", "b", "c"):
            await notes.put(f"/notes/1/notes/{key}", json={"text": "x"})

        async def both_counted() -> bool:
            published = (await notes.get("/metrics")).text
            consumed = (await sink.get("/metrics")).text
            return (
                'bazaar_outbox_published_total{event="notes.note_written",service="notes",'
                'version="1.0.0"} 3.0'
                in published
                and 'bazaar_events_consumed_total{event="notes.note_written",outcome="processed",'
                'service="sink",version="1.0.0"} 3.0'
                in consumed
            )

        await eventually(both_counted, message="three notes were never counted on both sides")
