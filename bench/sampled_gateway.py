"""A second gateway on the platform's bus that traces one new request in ten (P2b).

`python -m bench.sampled_gateway --port N --data-dir D [--ratio R]` runs `python -m
bazaar_gateway` on port N beside the gateway of the `bazaar up` whose data dir is D: the same
bus account, assertion secret, identity and console (read from D's secrets and run state), the
same rate limit (off) and front, and the standard OpenTelemetry sampler
`parentbased_traceidratio` at rate R (0.1 by default): a caller's decision is kept and a new
trace is sampled at the rate. Several gateways on one bus is how the gateway scales out; only
the sampler differs, so P2b can set the cost of tracing every request beside the cost of tracing
as a production deployment does, in the same rounds. The process replaces itself with the
gateway (exec): its pid, and so its CPU, are the gateway's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bazaar_cli.secrets import ensure_secrets
from bazaar_cli.state import RunState

SAMPLER = "parentbased_traceidratio"
DEFAULT_RATIO = 0.1


def environment(data_dir: Path, *, port: int, ratio: float) -> dict[str, str]:
    """What `bazaar up` gives its gateway, on `port` and under the ratio sampler."""
    state = RunState.load(data_dir)
    if state is None:
        raise SystemExit(f"no `bazaar up` runs on {data_dir}")
    secrets = ensure_secrets(data_dir)  # those `bazaar up` made: read, not made anew
    urls = {p.name: p.url for p in state.processes}
    return {
        **os.environ,  # the benchmark's own, as `bazaar up` passes its own on (a front chosen)
        "BAZAAR_DATA_DIR": str(data_dir),
        "BAZAAR_GATEWAY_PORT": str(port),
        "BAZAAR_NATS_URL": state.nats_url,
        "BAZAAR_NATS_USER": "gateway",
        "BAZAAR_NATS_PASSWORD": secrets.nats_passwords["gateway"],
        "BAZAAR_ASSERTION_SECRET_FILE": str(secrets.assertion_secret_file),
        "BAZAAR_IDENTITY_URLS": json.dumps([urls["identity"]]),
        "BAZAAR_OTLP_ENDPOINT": urls["console"],
        "BAZAAR_RATE_LIMIT_PER_SECOND": "0",
        "OTEL_TRACES_SAMPLER": SAMPLER,
        "OTEL_TRACES_SAMPLER_ARG": str(ratio),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--ratio", type=float, default=DEFAULT_RATIO)
    args = parser.parse_args()
    env = environment(args.data_dir.resolve(), port=args.port, ratio=args.ratio)
    os.execve(sys.executable, [sys.executable, "-m", "bazaar_gateway"], env)  # noqa: S606


if __name__ == "__main__":
    main()
