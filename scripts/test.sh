#!/usr/bin/env bash
# README's second command: set up (virtualenv, packages, Chromium for the browser tests) and run the tests.
# Extra arguments go to pytest. EVALHUB_TEST_DATABASE_URL / EVALHUB_TEST_REDIS_URL select MariaDB and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
# The OpenCompass engine's own virtualenv (~4 minutes once; a no-op when complete), unless one is configured
[ -n "${EVALHUB_OPENCOMPASS_PYTHON:-}" ] || scripts/opencompass_venv.sh
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian's chromium for the browser tests..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Browser tests need /usr/bin/chromium: run 'sudo apt-get install chromium'." >&2
  fi
fi
exec .venv/bin/python -m pytest "$@"
