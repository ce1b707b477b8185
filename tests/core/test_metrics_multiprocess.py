"""`servicecycle serve` with two gunicorn workers: /metrics adds up what both workers counted.

Without multi-process mode a scrape would show only the share of the worker that happened to answer it. The
served app needs no database for this: /healthz and /metrics answer before any query (the database gauges
report themselves as unreadable, which is fine here).
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> str:
    # a new connection each time, so gunicorn hands the requests to either worker
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return str(response.read().decode())


def _requests_counted(body: str) -> float:
    match = re.search(r"^django_http_requests_before_middlewares_total (\S+)$", body, re.MULTILINE)
    assert match, body[:2000]
    return float(match.group(1))


SENT = 200


def test_metrics_merge_every_worker(tmp_path: Path) -> None:
    port = _free_port()
    metrics_dir = tmp_path / "metrics"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "servicecycle.settings",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
        "DEBUG": "0",
        "SECRET_KEY": "metrics-multiprocess-test-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "servicecycle.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                _get(port, "/healthz")
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.3)
        # concurrent requests, so both workers answer some: one after the other, the kernel may hand every
        # connection to the worker that just went back to accept()
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda _n: _get(port, "/healthz"), range(SENT)))
        # both workers wrote their own sample files...
        pids = {m.group(1) for f in metrics_dir.glob("counter_*.db") if (m := re.match(r"counter_(\d+)\.db", f.name))}
        assert len(pids) >= 2, sorted(p.name for p in metrics_dir.iterdir())
        # ...and whichever worker answers a scrape reports every request both of them counted
        for _ in range(4):
            assert _requests_counted(_get(port, "/metrics")) >= SENT + 1
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
