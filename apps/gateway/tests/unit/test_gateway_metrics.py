"""The gateway's metrics hold a bounded number of series whatever clients and services send:
a method outside HTTP's standard ones and a service's routes beyond its allowance are counted,
under `_OTHER` and `(other)`, never as new series."""

from __future__ import annotations

from bazaar_gateway.state import ROUTES_PER_SERVICE, GatewayMetrics


def _series(metrics: GatewayMetrics) -> dict[tuple[str, ...], float]:
    """Label values -> count of observations, from what /metrics would show."""
    counts = {}
    for family in metrics.registry.collect():
        for sample in family.samples:
            if sample.name.endswith("_count"):
                labels = sample.labels
                key = tuple(labels[k] for k in ("service", "method", "route", "status"))
                counts[key] = sample.value
    return counts


def _observe(metrics: GatewayMetrics, *, method: str = "GET", route: str, service: str) -> None:
    metrics.observe(
        0.001, service=service, major="1", release="1.0.0", method=method, route=route, status=200
    )


def test_a_method_outside_the_standard_ones_is_counted_as_other() -> None:
    metrics = GatewayMetrics()
    for n in range(50):
        _observe(metrics, method=f"FOO{n}", route="/pricing/1/prices", service="pricing")
    _observe(metrics, method="PATCH", route="/pricing/1/prices", service="pricing")
    assert _series(metrics) == {
        ("pricing", "_OTHER", "/pricing/1/prices", "200"): 50,
        ("pricing", "PATCH", "/pricing/1/prices", "200"): 1,
    }


def test_a_service_naming_endless_routes_gets_its_allowance_then_other() -> None:
    metrics = GatewayMetrics()
    for n in range(ROUTES_PER_SERVICE + 100):
        _observe(metrics, route=f"/cart/1/r{n}", service="cart")
    _observe(metrics, route="/cart/1/r0", service="cart")  # a route already counted stays its own
    _observe(metrics, route="/pricing/1/prices", service="pricing")  # another service's allowance
    series = _series(metrics)
    assert len(series) == ROUTES_PER_SERVICE + 2
    assert series[("cart", "GET", "(other)", "200")] == 100
    assert series[("cart", "GET", "/cart/1/r0", "200")] == 2
    assert series[("pricing", "GET", "/pricing/1/prices", "200")] == 1


def test_every_observation_is_counted_once() -> None:
    metrics = GatewayMetrics()
    for n in range(500):
        _observe(metrics, method=("GET", "BREW")[n % 2], route=f"/r{n % 7}", service="s")
    assert sum(_series(metrics).values()) == 500
