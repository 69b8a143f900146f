"""Serving a benchmark's helper app the one way every helper process does it.

uvloop, httptools, no access log and a deep backlog, so helpers differ only in their app.
"""

from __future__ import annotations

from typing import Any

import uvicorn


def serve(app: Any, *, port: int) -> None:
    """Serve `app` on 127.0.0.1:`port` until the process is stopped."""
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        backlog=2048,
    )
