#!/usr/bin/env bash
# The whole suite: unit, API contract and browser tests, in parallel on two processes.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG=0 SECRET_KEY="${SECRET_KEY:-test-secret-key-not-for-production}"
mkdir -p var/screenshots
exec .venv/bin/pytest -n "${PYTEST_WORKERS:-2}" --dist loadgroup -q -ra "$@"
