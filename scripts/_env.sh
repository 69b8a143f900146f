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

# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set (containers often set
# it), every process would otherwise compile each module it imports, on every start; `bazaar up`
# imports ~1,400 in the CLI and again in its fork server (docs/benchmarks.md P6).
sync_workspace() {  # extra arguments: e.g. `--group bench`
  uv sync --all-packages --locked --quiet --compile-bytecode "$@"
}


ensure_chromium() {  # the storefront's browser tests drive Debian's Chromium, never a downloaded one
  [ -x "${BAZAAR_CHROMIUM:-/usr/bin/chromium}" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "» installing Debian's chromium for the storefront's browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "» /usr/bin/chromium is missing: install Debian's chromium (the browser tests need it)" >&2
  fi
}

ensure_prometheus() {  # the console's production-metrics test runs Debian's Prometheus
  command -v prometheus >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "» installing Debian's prometheus for the console's production-metrics test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
  else
    echo "» prometheus is missing: install Debian's prometheus (the console's test needs it)" >&2
  fi
}
