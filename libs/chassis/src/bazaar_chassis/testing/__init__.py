"""Test helpers for Bazaar services: real NATS, throwaway databases, in-process apps, probes.

The pytest plugin (`bazaar_chassis.testing.plugin`, registered as a `pytest11` entry point) gives
every test in the workspace the fixtures; the helpers here are importable for custom setups.
"""

from bazaar_chassis.testing.apps import client_as, consumed, running_app, served_client
from bazaar_chassis.testing.facts import FactPublisher
from bazaar_chassis.testing.fakes import FakeUnits, FakeWork
from bazaar_chassis.testing.identity import ADMIN, identity_headers
from bazaar_chassis.testing.probe import EventProbe
from bazaar_chassis.testing.problems import assert_problem
from bazaar_chassis.testing.producing import add_streams, publish
from bazaar_chassis.testing.servers import ServedApp, serving
from bazaar_chassis.testing.waiting import eventually, eventually_sync

__all__ = [
    "ADMIN",
    "EventProbe",
    "FactPublisher",
    "FakeUnits",
    "FakeWork",
    "ServedApp",
    "add_streams",
    "assert_problem",
    "client_as",
    "consumed",
    "eventually",
    "eventually_sync",
    "identity_headers",
    "publish",
    "running_app",
    "served_client",
    "serving",
]
