from __future__ import annotations

import os
import shutil
from typing import Any

import hypothesis
import pytest
from django.test import Client
from django.utils import translation

from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

# Property tests judge results, not speed: a busy CI machine must not fail them on timing.
hypothesis.settings.register_profile(
    "servicecycle", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.load_profile("servicecycle")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": shutil.which("chromium"), "args": CHROMIUM_FLAGS}


@pytest.fixture(autouse=True)
def _english_by_default() -> Any:
    """Every test starts in English, whatever language an earlier request in this process switched to."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # no collectstatic in tests: serve static files from the source tree
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def world(db: None) -> factories.World:
    return factories.world()


@pytest.fixture
def client_for(world: factories.World):  # type: ignore[no-untyped-def]
    """A signed-in test client for a role of the world ("admin", "lead", "outsider", ...)."""

    def make(role: str) -> Client:
        client = Client()
        client.force_login(world.by_role[role].user)
        return client

    return make


@pytest.fixture
def admin_client_(client_for):  # type: ignore[no-untyped-def]
    return client_for("admin")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Any:
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def run_tasks(db: None, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run every queued background task that is due (mail, deadline checks), as the worker would, then return."""
    from django.core.management import call_command

    # Between tasks the worker closes stale connections; in a test that connection holds the test's transaction.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)

    def run() -> None:
        call_command("db_worker", "--batch", "--queue-name", "*", "--no-reload", verbosity=0)

    return run


@pytest.fixture
def one_rate_window() -> Any:
    """Stop the clock for a rate-limit test: django-ratelimit counts in fixed windows, and on a slow machine a
    long burst of requests can straddle a window boundary and start counting afresh."""
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now().replace(minute=0, second=1, microsecond=0), tick=False):
        yield
