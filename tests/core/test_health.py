"""/healthz and /readyz: what a load balancer sees while the database is fine, gone, behind on migrations, or back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.db.migrations import Migration
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from servicecycle.core import health


@contextmanager
def database_gone(message: str = "connection refused") -> Iterator[None]:
    """No query gets through this process's connection (other test processes are untouched) until the block ends.

    Undone before the test's own teardown, which needs the connection to roll back or flush.
    """

    def cursor(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError(message)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(connection, "cursor", cursor)
        yield


def test_healthz_says_ok_without_touching_the_database(db: None, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_answers_even_when_the_database_is_gone(db: None) -> None:
    with database_gone():
        assert Client().get("/healthz").status_code == 200


def test_healthz_sets_no_cookie_and_asks_for_no_sign_in(db: None) -> None:
    response = Client().get("/healthz", HTTP_COOKIE="sessionid=whatever")
    assert response.status_code == 200
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_probes_by_bare_address_are_answered_despite_allowed_hosts_and_https_redirect(db: None, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["servicecycle.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.0.0.5:8001")
        assert response.status_code == 200, path
    # the rest of the site still refuses that host
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.5:8001").status_code == 400


def test_health_urls_resolve_by_name() -> None:
    assert reverse("healthz") == "/healthz"
    assert reverse("readyz") == "/readyz"


def test_readyz_is_ready_when_the_database_answers_and_every_migration_is_applied(db: None) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": {"ok": True}, "migrations": {"ok": True, "pending": 0}},
    }
    assert "Retry-After" not in response


def test_readyz_is_503_with_retry_after_when_the_database_does_not_answer(db: None) -> None:
    with database_gone():
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response["Retry-After"] == str(health.RETRY_AFTER_SECONDS)
    assert response.json() == {
        "status": "unavailable",
        "checks": {
            "database": {"ok": False, "error": "OperationalError"},
            "migrations": {"ok": False, "error": "skipped"},
        },
    }


def test_readyz_does_not_reveal_the_database_error_text(db: None) -> None:
    with database_gone('connection to server at "10.9.8.7", port 5432 failed: password authentication'):
        body = Client().get("/readyz").content.decode()
    assert "10.9.8.7" not in body
    assert "password" not in body


def test_readyz_is_503_while_a_migration_is_pending(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    future = Migration("0999_not_yet_applied", "cases")
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [(future, False)])
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response["Retry-After"] == str(health.RETRY_AFTER_SECONDS)
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": {"ok": True}, "migrations": {"ok": False, "pending": 1}},
    }


def test_pending_migrations_names_them_in_plan_order(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = [(Migration("0002_b", "cases"), False), (Migration("0003_c", "surveys"), False)]
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: plan)
    assert health.pending_migrations(connection) == ["cases.0002_b", "surveys.0003_c"]


def test_pending_migrations_is_empty_on_a_migrated_database(db: None) -> None:
    assert health.pending_migrations(connection) == []


def test_readyz_is_ready_again_once_the_database_is_back(db: None) -> None:
    client = Client()
    with database_gone():
        assert client.get("/readyz").status_code == 503
    assert client.get("/readyz").status_code == 200


def test_a_failed_check_closes_the_connection_so_the_next_request_reconnects(transactional_db: None) -> None:
    closed: list[bool] = []
    with database_gone(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(connection, "close", lambda: closed.append(True))
        assert Client().get("/readyz").status_code == 503
    assert closed == [True]


def test_a_connection_inside_a_transaction_is_not_closed_under_its_owner(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[bool] = []
    monkeypatch.setattr(connection, "close", lambda: closed.append(True))
    assert connection.in_atomic_block  # the test's own transaction
    health.discard_broken_connection()
    assert closed == []


def test_readyz_answers_only_reads(db: None) -> None:
    assert Client().post("/readyz").status_code == 405
    assert Client().head("/readyz").status_code == 200


@pytest.mark.postgres
def test_readyz_recovers_after_postgresql_drops_the_connection(transactional_db: None) -> None:
    """The server ends our session (as a PostgreSQL restart does); the app reconnects on its own."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    client = Client()
    assert client.get("/readyz").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (old_pid,) = cursor.fetchone()
    with pytest.raises(OperationalError), connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        cursor.fetchone()
    statuses = [client.get("/readyz").status_code for _ in range(2)]
    assert statuses[-1] == 200, statuses
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (new_pid,) = cursor.fetchone()
    assert new_pid != old_pid
