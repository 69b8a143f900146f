"""The floor: a bare FastAPI hello-world on uvicorn (uvloop, httptools), the yardstick that the
P1b and P2 ratios are taken against — what any request costs here before Bazaar adds anything.

`python -m bench.hello --port N`: `GET /hello` answers `{"hello": "world"}`, `/healthz` 200.
"""

from __future__ import annotations

import argparse

from fastapi import FastAPI

from bench.serving import serve


def build_app() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    serve(build_app(), port=args.port)


if __name__ == "__main__":
    main()
