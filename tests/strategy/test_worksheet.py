"""The strategy worksheet: classing against competitors at the margin's edges, listening tools, the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from servicecycle.cases.models import Case
from servicecycle.catalog import actions as catalog
from servicecycle.catalog.models import Service
from servicecycle.core.errors import PermissionDenied, ValidationFailed
from servicecycle.core.models import AuditEvent
from servicecycle.strategy import assessment, worksheet
from servicecycle.strategy.models import StrategyWorksheet
from servicecycle.surveys import actions as surveys
from servicecycle.surveys.models import Survey
from tests import factories
from tests.cases import builders as case_builders
from tests.factories import World
from tests.strategy.shopping_builders import audit


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize(
    ("ours", "theirs", "margin", "verdict"),
    [
        (4.25, 4.0, "0.25", "parity"),  # exactly at the upper edge: still parity
        (4.26, 4.0, "0.25", "lead"),
        (3.75, 4.0, "0.25", "parity"),  # exactly at the lower edge
        (3.74, 4.0, "0.25", "behind"),
        (3.35, 3.10, "0.25", "parity"),  # 0.25000000000000017 in floating point: the edge it means
        (3.10, 3.35, "0.25", "parity"),
        (4.0, 4.0, "0", "parity"),
        (4.01, 4.0, "0", "lead"),
        (3.99, 4.0, "0", "behind"),
        (6.0, 4.0, "2.00", "parity"),
        (6.01, 4.0, "2.00", "lead"),
    ],
)
def test_classification_at_the_margin_edges(ours: float, theirs: float, margin: str, verdict: str) -> None:
    assert worksheet.classify(ours, theirs, Decimal(margin)) == verdict


# --- the manager's margin -----------------------------------------------------------------------------------


def test_margin_defaults_to_a_quarter_point_and_a_manager_sets_it_with_an_audit_event(world: World) -> None:
    assert worksheet.parity_margin(world.service) == Decimal("0.25")
    worksheet.set_parity_margin(acting_user=world.manager.user, service=world.service, parity_margin="0.5")
    assert worksheet.parity_margin(world.service) == Decimal("0.50")
    event = AuditEvent.objects.get(verb="strategy.margin_set")
    assert event.changes == {"parity_margin": ["0.25", "0.50"]} and event.scope_id == world.service.pk


@pytest.mark.parametrize("bad", ["2.01", "-0.1", "abc", "NaN", "0.125"])
def test_a_margin_out_of_range_is_refused_by_field_and_nothing_is_saved(world: World, bad: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        worksheet.set_parity_margin(acting_user=world.admin.user, service=world.service, parity_margin=bad)
    assert list(caught.value.errors) == ["parity_margin"]
    assert not StrategyWorksheet.objects.exists()
    assert not AuditEvent.objects.filter(verb="strategy.margin_set").exists()


def test_only_managers_and_admins_set_the_margin(world: World) -> None:
    for role in ("lead", "agent", "viewer"):
        with pytest.raises(PermissionDenied):
            worksheet.set_parity_margin(acting_user=world.by_role[role].user, service=world.service, parity_margin=1)


def test_settings_page_shows_the_error_on_the_field_and_saves_nothing(world: World, client_for: Any) -> None:
    url = reverse("service-strategy-settings", kwargs={"pk": world.service.pk})
    client = client_for("manager")
    body = client.post(url, {"parity_margin": "3"}).content.decode()
    assert "Ensure this value is less than or equal to 2.00." in body
    assert not StrategyWorksheet.objects.exists()
    response = client.post(url, {"parity_margin": "0.4"})
    assert response.status_code == 302 and worksheet.parity_margin(world.service) == Decimal("0.40")


# --- (a) which services --------------------------------------------------------------------------------------


def _grid_survey(w: World, service: Service, answers: list[tuple[int, int]], competitor: str = "Rapid") -> Survey:
    """An IPA grid about the service with a competitor column; answers are (our, their) performance pairs."""
    user = w.manager.user
    survey = surveys.create_survey(acting_user=user, titles={"en": f"Grid {service.name}"}, service_id=service.pk)
    grid = surveys.add_question(
        acting_user=user,
        survey=survey,
        kind="ipa_grid",
        texts={"en": "Rate"},
        scale_min=1,
        scale_max=7,
        competitor_name=competitor,
    )
    attribute = surveys.add_attribute(acting_user=user, question=grid, texts={"en": "On time"})
    surveys.set_survey_status(acting_user=user, survey=survey, status="open")
    for ours, theirs in answers:
        surveys.record_response(
            survey=survey,
            answers=[
                {
                    "question": grid.pk,
                    "attribute": attribute.pk,
                    "importance": 6,
                    "performance": ours,
                    "competitor_performance": theirs,
                }
            ],
        )
    return survey


def _importance_survey(w: World, points: list[dict[Service, int]]) -> Survey:
    """A survey of candidate services: an allocation of 100 points among them per response."""
    user = w.manager.user
    survey = surveys.create_survey(acting_user=user, titles={"en": "Which new services?"}, kind="importance")
    question = surveys.add_question(acting_user=user, survey=survey, kind="allocation", texts={"en": "Share 100"})
    attributes = {
        s: surveys.add_attribute(acting_user=user, question=question, texts={"en": s.name}, service_id=s.pk)
        for s in points[0]
    }
    surveys.set_survey_status(acting_user=user, survey=survey, status="open")
    for row in points:
        surveys.record_response(
            survey=survey,
            answers=[{"question": question.pk, "attribute": attributes[s].pk, "value": v} for s, v in row.items()],
        )
    return survey


def test_candidates_carry_importance_and_are_classed_from_surveys_and_shopping(world: World) -> None:
    assembly = factories.service(world.admin, world.owner_team, "Assembly")
    factories.service(world.admin, world.owner_team, "Not a candidate")
    _importance_survey(world, [{world.service: 70, assembly: 30}, {world.service: 50, assembly: 50}])
    _grid_survey(world, world.service, [(5, 4), (6, 5)])  # ours 5.5 vs theirs 4.5: lead by 1
    _grid_survey(world, assembly, [(4, 4), (5, 4)])  # 4.5 vs 4.0: lead by 0.5
    audit(world, [4, 4, 4])
    audit(world, [4, 4, 4], competitor="Weak Co")
    audit(world, [5, 4, 4], competitor="Strong Co")  # the strongest competitor: 4.33 against our 4.0
    which = worksheet.which_services(world.service, Decimal("0.5"))
    assert [c.name for c in which.candidates] == ["Delivery", "Assembly"]  # most important first
    delivery, assembly_row = which.candidates
    assert delivery.current and delivery.importance == 60.0 and delivery.importance_n == 2
    assert assembly_row.importance == 40.0 and not assembly_row.current
    assert delivery.survey is not None and delivery.survey.verdict == "lead" and delivery.survey.competitor == "Rapid"
    assert (delivery.survey.ours, delivery.survey.theirs, delivery.survey.count) == (5.5, 4.5, 2)
    assert assembly_row.survey is not None and assembly_row.survey.verdict == "parity"  # exactly at the margin
    assert delivery.shopping is not None and delivery.shopping.competitor == "Strong Co"
    assert delivery.shopping.verdict == "parity" and round(delivery.shopping.theirs, 4) == 4.3333
    assert assembly_row.shopping is None
    assert worksheet.which_services(world.service, Decimal("0.25")).candidates[1].survey.verdict == "lead"  # type: ignore[union-attr]


def test_without_an_importance_survey_the_service_itself_is_listed(world: World) -> None:
    which = worksheet.which_services(world.service, Decimal("0.25"))
    assert which.importance_survey is None
    assert [(c.name, c.importance, c.survey, c.shopping) for c in which.candidates] == [("Delivery", None, None, None)]


def test_the_latest_grid_of_a_service_is_the_one_compared(world: World) -> None:
    _grid_survey(world, world.service, [(2, 6)], competitor="Old rival")
    _grid_survey(world, world.service, [(6, 2)], competitor="New rival")
    survey = worksheet.which_services(world.service, Decimal("0.25")).candidates[0].survey
    assert survey is not None and survey.competitor == "New rival" and survey.verdict == "lead"


# --- (b) listening tools --------------------------------------------------------------------------------------


def test_listening_tools_count_the_last_90_days_and_flag_gaps(world: World) -> None:
    now = timezone.now()
    case_builders.complaint(world)
    case_builders.complaint(world, kind="suggestion", channel="suggestion_box", subject="Idea")
    case_builders.complaint(world, channel="hotline", hotline_caller="Ana")
    case_builders.complaint(world, channel="hotline", hotline_caller="Bo", received_at=now - dt.timedelta(days=120))
    other = factories.service(world.admin, world.owner_team, "Installation")
    case_builders.complaint(world, service_id=other.pk)  # another service
    audit(world)
    audit(world, competitor="Rapid")
    audit(world, visited_on=timezone.localdate() - dt.timedelta(days=91))  # too old
    tools = {t.key: t for t in worksheet.listening_tools(world.service, urls=dict.fromkeys(worksheet.TOOL_LABELS, ""))}
    assert {k: t.volume for k, t in tools.items()} == {
        "shopping": 2,
        "surveys": 0,
        "suggestion_box": 1,
        "hotline": 1,
        "complaints": 2,  # the web-form complaint and the hotline complaint of the last 90 days
    }
    assert [k for k, t in tools.items() if t.gap] == ["surveys"]
    assert tools["shopping"].detail == "audits: 2, competitors visited: 1"


def test_survey_responses_about_the_service_count_but_staff_surveys_do_not(world: World) -> None:
    _grid_survey(world, world.service, [(5, 4), (6, 5)])
    staff_survey = surveys.create_survey(
        acting_user=world.manager.user, titles={"en": "Pulse"}, kind="staff", service_id=world.service.pk
    )
    question = surveys.add_question(acting_user=world.manager.user, survey=staff_survey, kind="nps", texts={"en": "?"})
    surveys.set_survey_status(acting_user=world.manager.user, survey=staff_survey, status="open")
    surveys.record_response(survey=staff_survey, answers=[{"question": question.pk, "value": 9}])
    tools = worksheet.listening_tools(world.service, urls=dict.fromkeys(worksheet.TOOL_LABELS, ""))
    survey_tool = next(t for t in tools if t.key == "surveys")
    assert survey_tool.volume == 2 and survey_tool.detail == "responses: 2, surveys: 1"


def test_listening_tools_take_one_query_per_source(world: World) -> None:
    case_builders.complaint(world)
    audit(world)
    with CaptureQueriesContext(connection) as queries:
        worksheet.listening_tools(world.service, urls=dict.fromkeys(worksheet.TOOL_LABELS, ""))
    assert len(queries.captured_queries) == 3  # audits, survey responses, cases (three counts in one query)


# --- (c) how to offer, and the page ---------------------------------------------------------------------------


def _decision(w: World, review: dt.date | None) -> None:
    catalog.record_offering_decision(
        acting_user=w.manager.user,
        service=w.service,
        price_model="sold_separately",
        delivery_channel="own_staff",
        price=Decimal("25"),
        currency="EUR",
        rationale="Customers pay for a fixed window.",
        review_date=review,
    )


def test_review_is_overdue_only_after_its_date() -> None:
    from servicecycle.catalog.models import OfferingDecision

    today = dt.date(2026, 12, 7)
    assert not worksheet.review_overdue(None, today)
    assert not worksheet.review_overdue(OfferingDecision(review_date=None), today)
    assert not worksheet.review_overdue(OfferingDecision(review_date=today), today)
    assert worksheet.review_overdue(OfferingDecision(review_date=today - dt.timedelta(days=1)), today)


def _page(client: Any, w: World) -> str:
    response = client.get(reverse("service-strategy", kwargs={"pk": w.service.pk}))
    assert response.status_code == 200
    return str(response.content.decode())


def test_page_explains_the_rule_shows_tools_decision_and_log(world: World, client_for: Any) -> None:
    _decision(world, timezone.localdate() - dt.timedelta(days=3))
    worksheet.set_parity_margin(acting_user=world.manager.user, service=world.service, parity_margin="0.3")
    body = _page(client_for("manager"), world)
    assert 'id="parity-rule"' in body and "more than 0.30 points higher" in body
    assert 'id="listening-tools"' in body and "Gap: nothing heard" in body
    assert 'id="review-overdue"' in body and "Customers pay for a fixed window." in body
    assert reverse("decision-create", kwargs={"pk": world.service.pk}) in body
    assert reverse("service-lifecycle", kwargs={"pk": world.service.pk}) in body  # the stage playbook
    assert "recorded an offering decision" in body and "set the parity margin" in body
    assert reverse("service-strategy-settings", kwargs={"pk": world.service.pk}) in body


def test_viewers_read_the_worksheet_without_edit_links(world: World, client_for: Any) -> None:
    _decision(world, timezone.localdate() + dt.timedelta(days=30))
    body = _page(client_for("viewer"), world)
    assert 'id="review-overdue"' not in body
    assert reverse("decision-create", kwargs={"pk": world.service.pk}) not in body
    assert reverse("service-strategy-settings", kwargs={"pk": world.service.pk}) not in body


def test_empty_worksheet_says_what_is_missing(world: World, client_for: Any) -> None:
    body = _page(client_for("viewer"), world)
    assert 'id="no-importance-survey"' in body and 'id="no-decision"' in body and 'id="comparison-empty"' in body
    assert "5 listening tools heard nothing" in body


def test_service_and_lifecycle_pages_link_to_the_worksheet(world: World, client_for: Any) -> None:
    url = reverse("service-strategy", kwargs={"pk": world.service.pk})
    client = client_for("viewer")
    assert url in client.get(reverse("service-detail", kwargs={"pk": world.service.pk})).content.decode()
    assert url in client.get(reverse("service-lifecycle", kwargs={"pk": world.service.pk})).content.decode()


def _populate(w: World, services: int, audits: int, cases: int) -> None:
    extra = [factories.service(w.admin, w.owner_team, f"Candidate {services}-{i}") for i in range(services)]
    _importance_survey(w, [{w.service: 100 - 10 * len(extra), **dict.fromkeys(extra, 10)}])
    for s in extra:
        _grid_survey(w, s, [(4, 5)])
    for i in range(audits):
        audit(w, [i % 5 + 1, 3, 4], competitor="" if i % 2 else f"Rival {i}")
    for _ in range(cases):
        case_builders.complaint(w, channel="hotline", hotline_caller="Ana")
    _decision(w, None)


def test_page_query_count_does_not_grow_with_data(world: World, client_for: Any) -> None:
    client = client_for("viewer")
    _populate(world, services=1, audits=1, cases=1)
    _page(client, world)
    with CaptureQueriesContext(connection) as few:
        _page(client, world)
    _populate(world, services=4, audits=8, cases=5)
    with CaptureQueriesContext(connection) as many:
        _page(client, world)
    # 22: session, user, staff, service; margin; moments; shopping comparison (one GROUP BY); decision; stage;
    # tools (audits, responses, cases); which services (importance question, its means per candidate, grids,
    # their means, audit means); decision log; unread notifications (base.html); session save (3)
    assert len(many.captured_queries) == len(few.captured_queries) <= 22


# --- the self-assessment's competitors band ------------------------------------------------------------------


def test_competitor_band_says_what_it_means_for_us() -> None:
    question = assessment.QUESTION_BY_KEY["competitors"]
    assert str(question.band_label("low")) == "Strong competitors: little room to stand out"
    assert str(question.band_label("high")) == "Weak competitors: wide room to stand out"
    assert str(assessment.QUESTION_BY_KEY["need"].band_label("high")) == "High"


def test_cases_of_the_claim_kind_count_as_complaints(world: World) -> None:
    case_builders.complaint(
        world,
        kind="claim",
        claim_request="refund",
        claim_amount="10",
        claim_currency="EUR",
        contact_email="ana@example.test",
    )
    tools = worksheet.listening_tools(world.service, urls=dict.fromkeys(worksheet.TOOL_LABELS, ""))
    assert next(t for t in tools if t.key == "complaints").volume == 1
    assert Case.objects.count() == 1
