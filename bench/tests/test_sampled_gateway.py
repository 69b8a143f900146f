"""P2b's second gateway gets what `bazaar up` gives its own, from the platform's data dir: the
gateway's bus account and assertion secret, identity and the console, on its own port, under the
ratio sampler."""

from pathlib import Path

import pytest

from bazaar_cli.secrets import ensure_secrets
from bazaar_cli.state import ProcessState, RunState
from bazaar_gateway.settings import GatewaySettings
from bench.sampled_gateway import SAMPLER, environment

IDENTITY, CONSOLE = "http://127.0.0.1:41001", "http://127.0.0.1:41002"


def test_the_second_gateway_is_configured_as_the_platforms_with_the_ratio_sampler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = ensure_secrets(tmp_path)  # as `bazaar up` makes them
    processes = [
        ProcessState(name, 1, url, "log")
        for name, url in [("identity", IDENTITY), ("console", CONSOLE)]
    ]
    RunState(1, "http://127.0.0.1:8000", "nats://127.0.0.1:4222", processes).save(tmp_path)

    env = environment(tmp_path, port=41003, ratio=0.1)

    assert (env["OTEL_TRACES_SAMPLER"], env["OTEL_TRACES_SAMPLER_ARG"]) == (SAMPLER, "0.1")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = GatewaySettings()
    assert (settings.gateway_port, settings.nats_url, settings.identity_urls) == (
        41003,
        "nats://127.0.0.1:4222",
        [IDENTITY],
    )
    assert (settings.nats_user, settings.nats_password) == (
        "gateway",
        secrets.nats_passwords["gateway"],
    )
    assert (
        settings.assertion_secret_bytes()
        == GatewaySettings(
            assertion_secret_file=secrets.assertion_secret_file
        ).assertion_secret_bytes()
    )
    assert (settings.otlp_endpoint, settings.rate_limit_per_second) == (CONSOLE, 0)
