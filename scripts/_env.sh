# Sourced by the other scripts: make sure uv exists (bootstrapped with pip on a fresh machine)
# and that the workspace's virtualenv matches the committed lockfile.
set -eu
cd "$(dirname "$0")/.."

uv() { python3 -m uv "$@"; }

if ! python3 -m uv --version >/dev/null 2>&1; then
  echo "» installing uv (the workspace's package manager) with pip"
  python3 -m pip install --quiet --disable-pip-version-check --user uv 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check uv
fi

sync_workspace() {  # extra arguments: e.g. `--group bench`
  uv sync --all-packages --locked --quiet "$@"
}

