from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("url", ["not a url", "mysql://root@localhost/db", "postgres://localhost:5432/", "postgres://"])
def test_malformed_database_url_is_named_in_one_clear_message(url: str) -> None:
    result = _run("check", DATABASE_URL=url, DEBUG="1")
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_secret_key_in_production_is_named(tmp_path: Path) -> None:
    result = _run("check", DEBUG="0", SECRET_KEY="", DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3")
    assert result.returncode == 2
    assert "SECRET_KEY is not set" in result.stderr


def test_console_script_lists_its_subcommands() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from servicecycle.cli import main; raise SystemExit(main(['--help']))"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert result.returncode == 0
    for sub in ("serve", "worker", "manage", "analyze"):
        assert sub in result.stdout


def test_deploy_checks_pass_with_production_settings(tmp_path: Path) -> None:
    result = _run(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECURE_COOKIES="1",
        SECRET_KEY="k" * 20 + "-production-like-secret-value-0123456789",
        DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3",
        ALLOWED_HOSTS="service.example.com",
        SITE_URL="https://service.example.com",
    )
    assert result.returncode == 0, result.stderr


def test_production_without_site_url_is_warned_about(tmp_path: Path) -> None:
    result = _run(
        "check",
        DEBUG="0",
        SECRET_KEY="k" * 50,
        DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3",
        ALLOWED_HOSTS="service.example.com",
    )
    assert result.returncode == 0  # a warning: the app still starts
    assert "servicecycle.W001" in result.stderr and "point to this machine" in result.stderr


def test_the_server_does_not_start_with_a_site_url_that_is_not_an_address(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from servicecycle.cli import main; raise SystemExit(main(['serve', '--bind', '127.0.0.1:1']))",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")},
            "PYTHONPATH": str(ROOT / "src"),
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
            "SITE_URL": "servicecycle.example.com",
        },
    )
    assert result.returncode == 2, result.stderr
    assert "servicecycle.E001" in result.stderr and "Traceback" not in result.stderr
    assert "Listening at" not in result.stderr


def test_uploads_go_to_an_s3_bucket_when_one_is_configured() -> None:
    show = (
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__name__, s.bucket_name, s.endpoint_url, s.location, s.default_acl, s.file_overwrite)"
    )
    result = _run(
        "shell", "-v0", "-c", show, DEBUG="1", S3_BUCKET="servicecycle-files", S3_ENDPOINT_URL="http://127.0.0.1:9000"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "S3Storage",
        "servicecycle-files",
        "http://127.0.0.1:9000",
        "media",
        "private",
        "False",
    ]
    local = _run(
        "shell",
        "-v0",
        "-c",
        "from django.core.files.storage import storages; print(type(storages['default']).__name__)",
        DEBUG="1",
    )
    assert local.stdout.strip() == "FileSystemStorage"


@pytest.mark.parametrize(("setting", "expected"), [(None, "4"), ("6", "6"), ("0", "8")])
def test_postgresql_connections_get_the_join_collapse_limit(setting: str | None, expected: str) -> None:
    """The app's PostgreSQL connections plan their many-join reads with the limit the environment sets (4 by
    default; 0 leaves the server's own, which is PostgreSQL's default of 8 here)."""
    show = "from django.db import connection; c = connection.cursor(); c.execute('SHOW join_collapse_limit'); " + (
        "print(c.fetchone()[0])"
    )
    env = {"DEBUG": "1", "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test"}
    if setting is not None:
        env["DATABASE_JOIN_COLLAPSE_LIMIT"] = setting
    result = _run("shell", "-v0", "-c", show, **env)
    if "could not connect" in result.stderr or "Connection refused" in result.stderr:
        pytest.skip("needs the PostgreSQL server of the test settings")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
