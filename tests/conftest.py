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
