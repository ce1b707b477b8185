"""JSON log lines and request ids: one parseable object per line, and the id that ties a request's lines together."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, RequestFactory

from servicecycle.core.logging import JsonFormatter, RequestIdFilter
from servicecycle.core.request_id import accepted_request_id, current_request_id

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything the root logger writes during the test, formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _record(message: str, *args: Any, **kwargs: Any) -> logging.LogRecord:
    return logging.getLogger("servicecycle.test").makeRecord(
        "servicecycle.test", logging.WARNING, __file__, 1, message, args, None, **kwargs
    )


def test_a_record_becomes_one_json_object_with_the_fixed_fields() -> None:
    record = _record("case %s breached", 42)
    record.created = 1_700_000_000.25
    entry = json.loads(JsonFormatter().format(record))
    assert entry == {
        "time": "2023-11-14T22:13:20.250+00:00",
        "level": "WARNING",
        "logger": "servicecycle.test",
        "message": "case 42 breached",
        "request_id": None,
    }


def test_a_multi_line_message_and_its_exception_stay_on_one_line() -> None:
    try:
        raise ValueError("bad row 7\ncolumn score")
    except ValueError:
        record = logging.getLogger("x").makeRecord("x", logging.ERROR, __file__, 1, "two\nlines", (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "two\nlines"
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert entry["exception"].endswith("ValueError: bad row 7\ncolumn score")


def test_extra_fields_are_kept_and_odd_values_written_as_text() -> None:
    request = RequestFactory().get("/cases/7/?q=secret")
    record = _record("done", extra={"case_id": 7, "request": request, "when": object()})
    entry = json.loads(JsonFormatter().format(record))
    assert entry["case_id"] == 7
    assert entry["request"] == "GET /cases/7/"
    assert entry["when"].startswith("<object object")


def test_an_extra_json_cannot_encode_still_gives_a_line() -> None:
    record = _record("odd", extra={"by_pair": {(1, 2): "x"}})
    entry = json.loads(JsonFormatter().format(record))
    assert entry["by_pair"] == "{(1, 2): 'x'}"
    assert entry["request_id"] is None


def test_non_latin_text_is_written_as_is() -> None:
    entry = JsonFormatter().format(_record("Жалоба принята"))
    assert "Жалоба принята" in entry


def test_the_plain_format_shows_a_dash_outside_a_request() -> None:
    record = _record("hello")
    RequestIdFilter().filter(record)
    formatter = logging.Formatter("%(levelname)s [%(request_id)s] %(message)s")
    assert formatter.format(record) == "WARNING [-] hello"


@pytest.mark.parametrize(
    "offered", ["abc-123", "A.b_C-9", "f" * 64, "0b1f6c34-8e4e-4a43-9a5d-5e2f2c1d9e77", "lb.7f3a.1700000000"]
)
def test_a_sane_request_id_from_the_caller_is_kept(offered: str) -> None:
    assert accepted_request_id(offered) == offered


@pytest.mark.parametrize(
    "offered", [None, "", "f" * 65, "has space", "new\nline", "semi;colon", "quote'", "<script>", "ünïcode", "abc\n"]
)
def test_anything_else_is_replaced_by_a_fresh_id(offered: str | None) -> None:
    fresh = accepted_request_id(offered)
    assert fresh != offered
    assert len(fresh) == 32
    assert fresh == accepted_request_id(fresh)


def test_the_response_echoes_the_callers_request_id(db: None) -> None:
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="lb-1234.abc")
    assert response["X-Request-ID"] == "lb-1234.abc"


def test_a_request_without_an_id_gets_a_new_one_each_time(db: None) -> None:
    client = Client()
    first = client.get("/accounts/login/")["X-Request-ID"]
    second = client.get("/accounts/login/")["X-Request-ID"]
    assert len(first) == 32
    assert first != second


def test_an_unsafe_request_id_is_not_echoed(db: None) -> None:
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="x" * 100)
    assert response["X-Request-ID"] != "x" * 100
    assert len(response["X-Request-ID"]) == 32


def test_every_line_a_request_writes_carries_its_id(db: None, captured: io.StringIO) -> None:
    response = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="trace-404")
    assert response.status_code == 404
    lines = _lines(captured)
    assert {line["logger"] for line in lines} >= {"django.request", "servicecycle.requests"}
    assert {line["request_id"] for line in lines} == {"trace-404"}
    access = next(line for line in lines if line["logger"] == "servicecycle.requests")
    assert access["http_method"] == "GET"
    assert access["http_path"] == "/no-such-page/"
    assert access["http_status"] == 404
    assert access["duration_ms"] >= 0


def test_the_id_is_forgotten_once_the_response_is_done(db: None) -> None:
    Client().get("/healthz", HTTP_X_REQUEST_ID="done-1")
    assert current_request_id() is None


def test_probes_and_scrapes_write_no_access_line(db: None, captured: io.StringIO) -> None:
    client = Client()
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path).status_code == 200
    assert [line for line in _lines(captured) if line["logger"] == "servicecycle.requests"] == []


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def _check_with(**env: str) -> subprocess.CompletedProcess[str]:
    """Start Django with this environment and write one warning through its logging set-up."""
    code = "import logging; logging.getLogger('servicecycle.probe').warning('probe line')"
    return _manage("shell", "-c", code, **env)


def test_production_logs_are_json_lines_by_default(tmp_path: Path) -> None:
    result = _check_with(DEBUG="0", SECRET_KEY="x", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    assert result.returncode == 0, result.stderr
    probe = [json.loads(line) for line in result.stderr.splitlines() if "probe line" in line]
    assert probe == [
        {"time": probe[0]["time"], "level": "WARNING", "logger": "servicecycle.probe", "message": "probe line"}
        | {"request_id": None}
    ]


def test_log_format_plain_gives_readable_lines(tmp_path: Path) -> None:
    result = _check_with(DEBUG="0", SECRET_KEY="x", LOG_FORMAT="plain", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    assert result.returncode == 0, result.stderr
    assert "WARNING servicecycle.probe [-] probe line" in result.stderr


def test_an_unknown_log_format_is_named_in_one_clear_message(tmp_path: Path) -> None:
    result = _manage("check", DEBUG="1", LOG_FORMAT="xml", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    assert result.returncode == 2
    assert "LOG_FORMAT must be json or plain" in result.stderr
    assert "Traceback" not in result.stderr
