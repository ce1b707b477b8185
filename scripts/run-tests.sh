#!/usr/bin/env bash
# The whole suite: unit, API contract and browser tests, in parallel on two processes.
# Fault tests (marked `faults`: they kill processes or restart PostgreSQL) are left out unless asked for
# with `-m faults`; .ci/run runs them on their own after the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG=0 SECRET_KEY="${SECRET_KEY:-test-secret-key-not-for-production}"
mkdir -p var/screenshots
marker=(-m "not faults")
for arg in "$@"; do
  if [[ "$arg" == "-m" || "$arg" == -m* ]]; then marker=(); fi
done
exec .venv/bin/pytest -n "${PYTEST_WORKERS:-2}" --dist loadgroup -q -ra "${marker[@]}" "$@"
