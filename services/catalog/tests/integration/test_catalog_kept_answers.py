"""A kept answer (the category list and page sent again while no event was applied) skips only
the framework and the endpoint: every request is still verified (one assertion, used once),
traced and counted under its route, and gets the bytes the endpoint rendered."""

from __future__ import annotations

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bazaar_catalog.service import build_app
from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import client_as, identity_headers, running_app

LIST = "/catalog/1/categories"
ROUTE = "/catalog/1/categories"


async def test_a_kept_answer_is_still_verified_traced_and_counted(
    service_settings: ServiceSettings,
) -> None:
    app = build_app(service_settings)
    spans = InMemorySpanExporter()
    app.state.runtime.tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    async with running_app(app) as catalog:
        replies = [await catalog.get(LIST) for _ in range(4)]  # learnt, rendered, kept, kept
        assert {(r.status_code, r.content) for r in replies} == {(200, replies[0].content)}
        assert len({r.headers["x-request-id"] for r in replies}) == 4
        assert {r.headers["bazaar-route"] for r in replies} == {ROUTE}

        anonymous = client_as(app, None)
        assert (await anonymous.get(LIST)).status_code == 401
        once = identity_headers(method="GET", path=LIST)
        assert (await anonymous.get(LIST, headers=once)).status_code == 200
        assert (await anonymous.get(LIST, headers=once)).status_code == 401  # replayed
        await anonymous.aclose()

    traced = [s for s in spans.get_finished_spans() if s.name == f"GET {ROUTE}"]
    assert len(traced) == 5  # the refused ones end under "unmatched": never reached the route
    definition = app.state.runtime.definition
    counted = app.state.runtime.metrics.registry.get_sample_value(
        "bazaar_http_request_duration_seconds_count",
        {
            "service": "catalog",
            "version": definition.version,
            "method": "GET",
            "route": ROUTE,
            "status": "200",
        },
    )
    assert counted == 5
