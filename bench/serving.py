"""Serving a benchmark's helper app the one way every helper process does it: as a Bazaar
service process is served (`bazaar_chassis.runner.run_server`), so helpers and services differ
only in their app.
"""

from __future__ import annotations

from typing import Any

from bazaar_chassis.runner import bind_socket, run_server


def serve(app: Any, *, port: int) -> None:
    """Serve `app` on 127.0.0.1:`port` until the process is stopped."""
    run_server(app, bind_socket("127.0.0.1", port))
