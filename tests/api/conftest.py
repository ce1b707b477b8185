"""What the API tests share: a client that sends a real bearer token of a staff member of the given role."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from servicecycle.accounts import actions as accounts
from tests.factories import World


class TokenClient:
    def __init__(self, world: World, role: str) -> None:
        _token, self.raw = accounts.create_api_token(acting_user=world.by_role[role].user, name="tests")
        self.client = Client()

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, **params: Any
    ) -> Any:
        kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {self.raw}"}
        for name, value in (headers or {}).items():
            kwargs["HTTP_" + name.upper().replace("-", "_")] = value
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        elif params:
            kwargs["data"] = params
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs)


@pytest.fixture
def api_for(world: World) -> Callable[[str], TokenClient]:
    """``api_for("agent").call("post", "/cases", {...})`` calls /api/v1 with a fresh token of that role."""
    return lambda role: TokenClient(world, role)
