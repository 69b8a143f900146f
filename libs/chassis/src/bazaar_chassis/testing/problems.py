"""One assertion for the project's error contract: a problem+json reply that says what is wrong."""

from __future__ import annotations

from typing import Any

import httpx


def assert_problem(reply: httpx.Response, status: int, detail_fragment: str = "") -> dict[str, Any]:
    """`reply` is an RFC 9457 problem with `status` whose `detail` mentions `detail_fragment`."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json", reply.headers
    problem: dict[str, Any] = reply.json()
    assert problem["status"] == status
    assert problem["title"]
    assert problem["type"].startswith("https://")
    assert detail_fragment in problem["detail"], problem["detail"]
    return problem
