"""The gateway counts every answer, refusals included, by service, major, release, route template
and status; and its span per request joins the caller's trace and parents the service's span,
for every request or for those its sampler picks."""

from __future__ import annotations

import re

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import eventually, serving
from bazaar_product.service import build_app as build_product

from .conftest import OPERATIONS_TOKEN, Platform

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
COUNT = re.compile(r"^bazaar_gateway_request_duration_seconds_count\{(?P<labels>.*)\} (?P<n>\S+)$")


async def _samples(platform: Platform) -> list[tuple[dict[str, str], float]]:
    """Each request-count series of the gateway's /metrics: its labels and its count."""
    async with platform.http.get(
        platform.url + "/metrics", headers={"Authorization": f"Bearer {OPERATIONS_TOKEN}"}
    ) as reply:
        text = await reply.text()
    return [
        (dict(re.findall(r'(\w+)="([^"]*)"', match["labels"])), float(match["n"]))
        for line in text.splitlines()
        if (match := COUNT.match(line))
    ]


async def _counts(platform: Platform) -> dict[tuple[str, ...], float]:
    labels = ("service", "major", "release", "route", "status")
    return {tuple(found[k] for k in labels): n for found, n in await _samples(platform)}


async def test_every_answer_is_counted_refusals_included_by_release_route_and_status(
    platform: Platform, service_settings: ServiceSettings
) -> None:
    admin = await platform.token("admin@bazaar.test")
    async with serving(build_product, service_settings):
        await platform.routes_to("product")
        for _ in range(3):
            assert (await platform.call("GET", "/product/1/products", token=admin))[0] == 200
        for _ in range(2):
            assert (await platform.call("GET", "/product/1/products/NOPE-1", token=admin))[0] == 404
        assert (await platform.call("POST", "/product/1/products", json={}))[0] == 403
        assert (await platform.call("GET", "/product/1/products", token="forged"))[0] == 401
        counts = await _counts(platform)
    release = "1.0.0"
    assert counts[("product", "1", release, "/product/1/products", "200")] == 3
    assert counts[("product", "1", release, "/product/1/products/{sku}", "404")] == 2
    assert counts[("product", "1", release, "(refused)", "403")] == 1
    assert counts[("product", "1", release, "(refused)", "401")] == 1


async def test_what_a_client_makes_up_is_counted_without_a_series_of_its_own(
    platform: Platform, service_settings: ServiceSettings
) -> None:
    """Services, majors and methods a client invents would each be a new time series, held for
    the life of the gateway: they are counted under `none` and `_OTHER` instead."""
    admin = await platform.token("admin@bazaar.test")
    made_up = 20
    async with serving(build_product, service_settings):
        await platform.routes_to("product")
        for n in range(made_up):
            assert (await platform.call("GET", f"/nosuch{n}/1/things", token=admin))[0] == 404
            assert (await platform.call("GET", f"/product/{90 + n}/products", token=admin))[
                0
            ] == 404
            method = ("PROPFIND", "MKCOL", "PURGE", "LOCK")[n % 4]  # WebDAV and such: parsed
            assert (await platform.call(method, "/product/1/products", token=admin))[0] != 200
        samples = await _samples(platform)
    assert not [labels for labels, _ in samples if labels["service"].startswith("nosuch")]
    product_majors = {labels["major"] for labels, _ in samples if labels["service"] == "product"}
    assert product_majors <= {"1", "none"}
    unknown = sum(n for labels, n in samples if labels["service"] == "none")
    unknown_major = sum(
        n for labels, n in samples if (labels["service"], labels["major"]) == ("product", "none")
    )
    assert (unknown, unknown_major) == (made_up, made_up)
    methods = {labels["method"] for labels, _ in samples}
    assert "_OTHER" in methods
    assert not methods & {"PROPFIND", "MKCOL", "PURGE", "LOCK"}, methods


async def test_the_gateway_span_joins_the_callers_trace_and_parents_the_services_span(
    gateway_spans: InMemorySpanExporter, platform: Platform, service_settings: ServiceSettings
) -> None:
    admin = await platform.token("admin@bazaar.test")
    async with serving(build_product, service_settings) as product:
        service_spans = InMemorySpanExporter()
        runtime = product.app.state.runtime
        runtime.tracer_provider.add_span_processor(SimpleSpanProcessor(service_spans))
        await platform.routes_to("product")
        status, _ = await platform.call(
            "GET", "/product/1/products", token=admin, headers={"traceparent": CALLER}
        )
        assert status == 200

        async def both_spans() -> bool:
            return bool(service_spans.get_finished_spans())

        await eventually(both_spans, message="product never traced the request")
    (served,) = service_spans.get_finished_spans()
    gateway = next(
        s for s in gateway_spans.get_finished_spans() if s.name == "GET /product/1/products"
    )
    assert format(gateway.context.trace_id, "032x") == TRACE_ID
    assert gateway.parent is not None
    assert format(gateway.parent.span_id, "016x") == "00f067aa0ba902b7"
    assert gateway.resource.attributes["service.name"] == "gateway"
    assert gateway.attributes is not None
    assert gateway.attributes["bazaar.target.release"] == "1.0.0"
    assert served.parent is not None
    assert served.parent.span_id == gateway.context.span_id
    assert served.context.trace_id == gateway.context.trace_id


async def test_every_answer_names_its_request_as_its_span_and_the_service_know_it(
    gateway_spans: InMemorySpanExporter, platform: Platform, service_settings: ServiceSettings
) -> None:
    admin = await platform.token("admin@bazaar.test")

    async def request_id(path: str, **headers: str) -> tuple[int, str]:
        async with platform.http.get(platform.url + path, headers=headers) as reply:
            return reply.status, reply.headers.get("x-request-id", "")

    def gateway_span_ids(name: str) -> list[object]:
        spans = gateway_spans.get_finished_spans()
        return [s.attributes["bazaar.request_id"] for s in spans if s.name == name and s.attributes]

    async with serving(build_product, service_settings) as product:
        service_spans = InMemorySpanExporter()
        product.app.state.runtime.tracer_provider.add_span_processor(
            SimpleSpanProcessor(service_spans)
        )
        await platform.routes_to("product")
        status, minted = await request_id("/product/1/products", Authorization=f"Bearer {admin}")
        assert status == 200
        assert re.fullmatch(r"[0-9a-f]{32}", minted), minted

        async def served() -> bool:
            return bool(service_spans.get_finished_spans())

        await eventually(served, message="product never traced the request")
    (service_span,) = service_spans.get_finished_spans()
    assert service_span.attributes is not None
    assert service_span.attributes["bazaar.request_id"] == minted
    assert minted in gateway_span_ids("GET /product/1/products")

    status, refused = await request_id("/no-such-service/1/things")  # the gateway refuses it
    assert status == 403
    assert re.fullmatch(r"[0-9a-f]{32}", refused), refused
    assert refused in gateway_span_ids("GET (refused)")

    _, kept = await request_id("/no-such-service/1/x", **{"x-request-id": "order-42.retry"})
    assert kept == "order-42.retry"
    for unfit in ("x" * 65, "two words"):  # longer than the console keeps; not a token
        _, replaced = await request_id("/no-such-service/1/x", **{"x-request-id": unfit})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced), (unfit, replaced)


@pytest.fixture
def sampling_nothing_new(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gateways built from here on start no trace of their own, and continue a caller's sampled
    one (what `OTEL_TRACES_SAMPLER=parentbased_traceidratio` with rate 0 configures)."""
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0")


async def test_a_request_the_sampler_leaves_out_is_counted_and_traced_nowhere_downstream(
    monkeypatch: pytest.MonkeyPatch,
    sampling_nothing_new: None,
    gateway_spans: InMemorySpanExporter,
    platform: Platform,
    service_settings: ServiceSettings,
) -> None:
    monkeypatch.delenv("OTEL_TRACES_SAMPLER")  # the service samples every trace it starts
    admin = await platform.token("admin@bazaar.test")
    async with serving(build_product, service_settings) as product:
        service_spans = InMemorySpanExporter()
        product.app.state.runtime.tracer_provider.add_span_processor(
            SimpleSpanProcessor(service_spans)
        )
        await platform.routes_to("product")
        left_out = await platform.call("GET", "/product/1/products", token=admin)
        continued = await platform.call(
            "GET", "/product/1/products/NOPE-1", token=admin, headers={"traceparent": CALLER}
        )
        assert (left_out[0], continued[0]) == (200, 404)

        async def continued_traced() -> bool:
            return bool(service_spans.get_finished_spans())

        await eventually(continued_traced, message="product never traced the sampled request")
        counts = await _counts(platform)
    (served,) = service_spans.get_finished_spans()  # the unsampled request: no span
    assert format(served.context.trace_id, "032x") == TRACE_ID
    traced = [s.name for s in gateway_spans.get_finished_spans()]
    assert "GET /product/1/products/{sku}" in traced
    assert "GET /product/1/products" not in traced
    assert counts[("product", "1", "1.0.0", "/product/1/products", "200")] == 1
