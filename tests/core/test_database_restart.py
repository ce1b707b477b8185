"""PostgreSQL restarted under a running app: /readyz says 503 while it is away and 200 again by itself.

A real `servicecycle serve` (gunicorn) on loopback against the test run's PostgreSQL server, which is
restarted with pg_ctlcluster. Marked `faults`: it stops the database every other test uses, so `.ci/run`
runs these after the suite, on their own (`scripts/run-tests.sh -m faults`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="restarts PostgreSQL"),
    pytest.mark.skipif(shutil.which("pg_ctlcluster") is None, reason="needs pg_ctlcluster"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_last_body: list[str] = []


def _readyz(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        _last_body[:] = [exc.read().decode(errors="replace")]
        return int(exc.code)
    except OSError:
        return 0


def _wait_for(port: int, status: int, timeout: float) -> list[int]:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen.append(_readyz(port))
        if seen[-1] == status:
            return seen
        time.sleep(0.3)
    raise AssertionError(f"/readyz never answered {status}: {seen[-10:]}; last 503 said {_last_body}")


def _pg(action: str) -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", action], check=True, timeout=120)


def test_readyz_recovers_by_itself_after_postgresql_restarts(transactional_db: None) -> None:
    # asking for a database fixture is what makes pytest-django create and migrate the test database (django_db_setup
    # alone sets up only the databases some test asks for); transactional: the app must see committed tables
    database = connection.settings_dict["NAME"]
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "DEBUG": "0",
        "SECRET_KEY": "database-restart-test-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_FORMAT": "plain",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "servicecycle.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for(port, 200, timeout=120)
        _pg("stop")
        try:
            _wait_for(port, 503, timeout=30)  # the app says it is not ready, it does not hang or crash
        finally:
            _pg("start")
        _wait_for(port, 200, timeout=60)  # and recovers without a restart of the app
        assert server.poll() is None
        connection.close()  # this test's own connection died with the server; the teardown opens a new one
    finally:
        server.terminate()
        server.wait(timeout=30)
