"""The `bazaar` command's entry point: for `bazaar up`, the fork server starts first.

The fork server imports the shared stack (bazaar_cli.shared_stack) in a process of its own, and
nothing can be forked before it has; the CLI's own imports take about as long. Starting it
before importing the CLI lets the two run side by side instead of one after the other. A
forked component imports this module again (multiprocessing re-imports the parent's main
script), so it stays this small.
"""

from __future__ import annotations

import sys


def run() -> None:
    if sys.argv[1:2] == ["up"]:
        from bazaar_cli import launcher

        launcher.warm_up()
    from bazaar_cli.main import app

    app()
