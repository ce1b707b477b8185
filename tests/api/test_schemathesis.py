"""API contract: schemathesis generates requests from /api/v1/openapi.json; no 5xx, responses match the schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis import checks
from hypothesis import HealthCheck, settings

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
