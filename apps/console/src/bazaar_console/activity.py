"""What each service and each event type did over a window, from the counters every instance
keeps itself: requests per route as the service saw them, events published and consumed (with
rates per second), and each consumer's lag (its durable's backlog).
"""

from __future__ import annotations

from typing import Any

from bazaar_console.counters import Count, summed

CONSUMED = ("processed", "duplicate")  # taken off the bus for good; failed ones come again


def add_to_services(items: list[dict[str, Any]], found: list[Count], *, window: float) -> None:
    """Give each service of `/services` what its instances counted over `window` seconds."""
    routes = summed(found, "requests", "service", "method", "route", "status")
    published = summed(found, "events_published", "service")
    outcomes = summed(found, "events_consumed", "service", "outcome")
    for item in items:
        name = item["name"]
        by_route: dict[tuple[str, str], list[float]] = {}
        for (service, method, route, status), count in sorted(routes.items()):
            if service == name:
                totals = by_route.setdefault((method, route), [0.0, 0.0])
                totals[0] += count
                totals[1] += count if status.startswith("5") else 0.0
        requests = sum(t[0] for t in by_route.values())
        item["activity"] = {
            "window_seconds": window,
            "requests": round(requests),
            "requests_per_second": requests / window,
            "server_errors": round(sum(t[1] for t in by_route.values())),
            "routes": [
                {"method": m, "route": r, "requests": round(t[0]), "server_errors": round(t[1])}
                for (m, r), t in by_route.items()
            ],
            "events_published": round(published.get((name,), 0.0)),
            "events_consumed": {
                outcome: round(count)
                for (service, outcome), count in sorted(outcomes.items())
                if service == name
            },
        }


def add_to_events(items: list[dict[str, Any]], found: list[Count], *, window: float) -> None:
    """Give each event type of `/events` its rates over `window` seconds, and each consumer its
    rate and lag."""
    published = summed(found, "events_published", "event")
    outcomes = summed(found, "events_consumed", "event", "service", "outcome")
    for item in items:
        count = published.get((item["name"],), 0.0)
        item["window_seconds"] = window
        item["published"] = round(count)
        item["published_per_second"] = count / window
        for consumer in item["consumers"]:
            mine = {
                outcome: n
                for (event, service, outcome), n in outcomes.items()
                if (event, service) == (item["name"], consumer["service"])
            }
            consumed = sum(mine.get(o, 0.0) for o in CONSUMED)
            durable = consumer["durable"]
            consumer["consumed"] = round(consumed)
            consumer["consumed_per_second"] = consumed / window
            consumer["outcomes"] = {o: round(n) for o, n in sorted(mine.items())}
            consumer["lag"] = (
                None if durable is None else durable["pending"] + durable["ack_pending"]
            )
