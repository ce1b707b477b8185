"""API contract: schemathesis generates requests from /api/v1/openapi.json; no 5xx, responses match the schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from servicecycle.accounts import actions as accounts
from servicecycle.wsgi import application
from tests import factories

# No 5xx, documented status codes, and every response body, content type and header as the schema says.
# (Schema-valid requests may still be refused by domain rules: a duplicate team name, an unknown id.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def _keep_the_test_transaction_open() -> Any:
    """Like Django's test client: the WSGI app must not close the connection that holds the test transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_token(db: None) -> str:
    world = factories.world()
    _token, raw = accounts.create_api_token(acting_user=world.admin.user, name="schemathesis")
    return raw


@pytest.mark.xdist_group("schemathesis")
@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_contract(case: Any, api_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {api_token}"}, checks=CHECKS)
