"""API contract: schemathesis generates requests from /api/v1/openapi.json; no 5xx, responses match the schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from servicecycle.accounts import actions as accounts
from servicecycle.surveys import actions as survey_actions
from servicecycle.wsgi import application
from tests import factories
from tests.surveys import builders as survey_builders

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


def _an_open_survey(world: factories.World) -> None:
    """A survey with a question of each scored kind, a grid, a wave and a response: generated requests that hit
    low ids (which they often do) reach real questions, attributes, waves and responses, not only 404s."""
    admin = world.admin
    survey = survey_builders.survey(admin, "Contract survey", service_id=world.service.pk)
    nps = survey_builders.question(admin, survey, "nps")
    survey_builders.question(admin, survey, "csat")
    survey_builders.question(admin, survey, "text", required=False)
    grid = survey_builders.grid(admin, survey, ("On time", "Undamaged"))
    wave = survey_actions.add_wave(acting_user=admin.user, survey=survey, name="First", starts_on=dt.date(2026, 1, 1))
    survey_builders.open_survey(admin, survey)
    on_time, undamaged = survey_builders.attributes(grid)
    survey_actions.record_response(
        survey=survey,
        wave=wave,
        answers=[
            {"question": nps.pk, "value": 9},
            {"question": nps.pk + 1, "value": 4},
            {"question": grid.pk, "attribute": on_time.pk, "importance": 7, "performance": 5},
            {"question": grid.pk, "attribute": undamaged.pk, "importance": 6, "performance": 6},
        ],
    )
    survey_builders.survey(admin, "Contract draft")


@pytest.fixture
def api_token(db: None) -> str:
    world = factories.world()
    _an_open_survey(world)
    _token, raw = accounts.create_api_token(acting_user=world.admin.user, name="schemathesis")
    return raw


@pytest.mark.xdist_group("schemathesis")
@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_contract(case: Any, api_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {api_token}"}, checks=CHECKS)
