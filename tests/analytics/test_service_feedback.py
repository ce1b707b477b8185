"""The service page and the quality report show survey figures computed from stored answers."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from servicecycle.analytics.methods.nps import nps
from servicecycle.analytics.reports import service_feedback
from servicecycle.surveys import actions
from tests.analytics.test_quality_report import _page_count
from tests.factories import World
from tests.surveys import builders


def _survey_with_answers(w: World, scores: list[int]) -> None:
    survey = builders.survey(w.manager, service_id=w.service.pk)
    question = builders.question(w.manager, survey, "nps")
    grid = builders.grid(w.manager, survey, competitor_name="Other Depot")
    attributes = builders.attributes(grid)
    actions.set_survey_status(acting_user=w.manager.user, survey=survey, status="open")
    for i, score in enumerate(scores):
        answers: list[dict[str, Any]] = [{"question": question.pk, "value": score}]
        answers += [
            {
                "question": grid.pk,
                "attribute": a.pk,
                "importance": 1 + (i + j) % 7,
                "performance": 1 + (i * j) % 7,
                "competitor_performance": 4,
            }
            for j, a in enumerate(attributes)
        ]
        actions.record_response(survey=survey, answers=answers)


def test_service_feedback_equals_the_method_on_the_same_answers(world: World) -> None:
    scores = [10, 9, 9, 8, 7, 6, 3, 0, 10, 5]
    _survey_with_answers(world, scores)
    feedback = service_feedback(world.service)
    assert feedback.nps == nps(scores)
    assert feedback.ipa is not None and len(feedback.ipa.attributes) == len(builders.IPA_ATTRIBUTES)
    assert feedback.competitor == "Other Depot"


def test_service_page_shows_the_figures_and_the_charts(world: World, client_for: Any) -> None:
    _survey_with_answers(world, [10, 9, 0, 6, 8])
    body = client_for("viewer").get(reverse("service-detail", kwargs={"pk": world.service.pk})).content.decode()
    assert "Net Promoter Score" in body
    assert "0.0 (95 % interval" in body  # (2 promoters - 2 detractors) / 5
    assert 'id="chart-spec-1" type="application/json"' in body
    assert "vega-embed-7.0.2.min.js" in body


def test_service_without_answers_says_so_and_loads_no_chart_library(world: World, client_for: Any) -> None:
    body = client_for("viewer").get(reverse("service-detail", kwargs={"pk": world.service.pk})).content.decode()
    assert "No survey answers about this service yet." in body
    assert "vega-embed" not in body


def test_quality_report_is_a_one_page_pdf(world: World, client_for: Any) -> None:
    _survey_with_answers(world, [10, 9, 0, 6, 8])
    response = client_for("viewer").get(reverse("quality-report", kwargs={"pk": world.service.pk}))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert _page_count(response.content) == 1


def test_quality_report_of_another_organization_is_not_found(world: World, client_for: Any) -> None:
    response = client_for("outsider").get(reverse("quality-report", kwargs={"pk": world.service.pk}))
    assert response.status_code == 404
