"""Make `bench` importable when pytest runs from the repository root (`pytest bench/tests`):
the root config uses --import-mode=importlib, which does not put the root on sys.path, and
bench is not an installed package (it is not part of the default test run either)."""

import sys
from pathlib import Path

REPOSITORY = str(Path(__file__).resolve().parents[2])
if REPOSITORY not in sys.path:
    sys.path.insert(0, REPOSITORY)
