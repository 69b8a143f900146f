"""Writes libs/client's models (bazaar_client/models/, one module per service) from the merged
document of the public API, with datamodel-code-generator, so the client cannot drift from the
contract: `./scripts/api-client` writes them, `./scripts/api-client --check` only compares.

The merged document is the gateway's (`bazaar_gateway.openapi.merge`) over every service's own,
built as scripts/api_docs.py builds them (no process started). tests/docs/test_api_client.py
fails when the committed models are stale.
"""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bazaar_gateway.openapi import merge

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "libs" / "client" / "src" / "bazaar_client" / "models"
BIN = Path(sys.executable).parent
GENERATOR_OPTIONS = (
    "--input-file-type=openapi",
    "--output-model-type=pydantic_v2.BaseModel",
    "--target-python-version=3.11",
    "--disable-timestamp",
    "--use-annotated",
    "--use-standard-collections",
    "--use-union-operator",
    "--field-constraints",
    "--collapse-root-models",
    "--set-default-enum-member",
    "--formatters=ruff-format",
)


API_DOCS = runpy.run_path(str(ROOT / "scripts" / "api_docs.py"))


def merged_document() -> dict[str, Any]:
    """The whole public API as the gateway serves it at /openapi.json."""
    return merge(API_DOCS["openapi_documents"](), unavailable=[])


def rendered() -> dict[str, str]:
    """The files of bazaar_client/models/, by name, as they should be."""
    with tempfile.TemporaryDirectory() as scratch:
        source, out = Path(scratch) / "openapi.json", Path(scratch) / "models"
        source.write_text(json.dumps(merged_document(), indent=1, sort_keys=True))
        run = [str(BIN / "datamodel-codegen"), f"--input={source}", f"--output={out}"]
        subprocess.run([*run, *GENERATOR_OPTIONS], check=True, capture_output=True)  # noqa: S603
        config = f"--config={ROOT / 'pyproject.toml'}"
        ruff = str(BIN / "ruff")
        fix = [ruff, "check", config, "--fix", "--exit-zero", str(out)]
        subprocess.run(fix, check=True, capture_output=True)  # noqa: S603
        subprocess.run([ruff, "format", config, "-q", str(out)], check=True)  # noqa: S603
        return {path.name: path.read_text() for path in sorted(out.glob("*.py"))}


def stale_files(directory: Path, wanted: dict[str, str] | None = None) -> list[str]:
    """The names of the files in `directory` that differ from, lack or outlive the generated
    (`wanted`, rendered when not given)."""
    wanted = rendered() if wanted is None else wanted
    outlive = {path.name for path in directory.glob("*.py")} - set(wanted)
    return sorted(set(API_DOCS["stale"](wanted, directory)) | outlive)


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = stale_files(MODELS)
        if stale:
            print(f"bazaar_client/models is stale ({', '.join(stale)}): run ./scripts/api-client")
            return 1
        return 0
    MODELS.mkdir(parents=True, exist_ok=True)
    for path in MODELS.glob("*.py"):
        path.unlink()
    for name, text in rendered().items():
        (MODELS / name).write_text(text)
    print(f"wrote {MODELS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
