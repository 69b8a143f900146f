"""`free_port` never offers a port already promised to a process that has not bound it yet.

A CI run once gave the catalog the port chosen for the gateway: the gateway starts last, so
until then the kernel saw its port as free and offered it again.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from bazaar_platform.nats_server import free_port


class KernelOffering:
    """A socket whose `bind(0)` gets the next of a fixed list of ports, as the kernel might."""

    def __init__(self, ports: Iterator[int]) -> None:
        self._ports = ports
        self._port = 0

    def __enter__(self) -> KernelOffering:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def bind(self, address: tuple[str, int]) -> None:
        self._port = next(self._ports)

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self._port)


def test_a_promised_port_is_skipped_until_the_kernel_offers_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    offered = iter([41000, 41000, 42000, 43000])

    def fake_socket(*args: Any) -> KernelOffering:
        return KernelOffering(offered)

    monkeypatch.setattr(socket, "socket", fake_socket)
    assert free_port(avoid={41000}) == 42000


def test_a_real_port_is_free_and_not_one_avoided() -> None:
    avoided = {free_port() for _ in range(3)}
    port = free_port(avoid=avoided)
    assert port not in avoided
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # nobody holds it
