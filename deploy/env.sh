# Sourced by demo.sh and test.sh: makes the virtual environment, installs the project,
# resolves Kafka with Maven and starts the local stack. Each step is skipped when done.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "== installing the project and its test dependencies"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[test]'
  rm -f .venv/.installed-* && touch "$stamp"
fi
if ! command -v kcat >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing kcat (a standard Kafka client the tests check the topics with)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat >/dev/null) \
    || echo "warning: could not install kcat" >&2
fi
if ! [ -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing chromium (Debian's browser, which the browser tests drive with Playwright)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium" >&2
fi
# the web page's libraries (d3, topojson-client, world-atlas, axe-core), exactly as the lockfile says
if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "== installing the web page's libraries from npm (web/package-lock.json)"
    npm ci --prefix web --no-audit --no-fund --loglevel=error && touch web/node_modules
  else
    echo "warning: npm is missing: the web page under /ui/ cannot load its libraries" >&2
  fi
fi
export PATH="$ROOT/.venv/bin:$PATH"
echo "== starting the local stack (Kafka from Maven Central, PostgreSQL 15)"
timeline stack up
