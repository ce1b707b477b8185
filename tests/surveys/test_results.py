"""The results page: distributions, NPS/CSAT/CES with intervals against a hand count, trend by wave,
breakdowns, the grid, comments; aggregated in the database with a query count independent of responses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from servicecycle.accounts import actions as accounts
from servicecycle.analytics.methods._common import Z95
from servicecycle.surveys import actions
from servicecycle.surveys.models import Question, Survey
from servicecycle.surveys.queries import questions_of
from servicecycle.surveys.results import Filters, survey_results
from tests import factories
from tests.factories import World
from tests.surveys import builders

K = Question.Kind


def _survey(world: World) -> tuple[Survey, dict[str, Any]]:
    s = builders.survey(world.admin, service_id=world.service.pk)
    qs = {
        "nps": builders.question(world.admin, s, K.NPS, "Recommend?"),
        "csat": builders.question(world.admin, s, K.CSAT, "Satisfied?"),
        "ces": builders.question(world.admin, s, K.CES, "Easy?"),
        "text": builders.question(world.admin, s, K.TEXT, "Anything else?", required=False),
    }
    qs["grid"] = builders.grid(world.admin, s, ("On time", "Friendly"), competitor_name="Rival")
    waves = [
        actions.add_wave(acting_user=world.admin.user, survey=s, name="Q1", starts_on=dt.date(2026, 1, 1)),
        actions.add_wave(acting_user=world.admin.user, survey=s, name="Q2", starts_on=dt.date(2026, 4, 1)),
    ]
    builders.open_survey(world.admin, s)
    qs["waves"] = waves
    return s, qs


def _answer(world: World, s: Survey, qs: dict[str, Any], nps: int, csat: int, ces: int, wave: int, **kw: Any) -> None:
    grid = qs["grid"]
    on_time, friendly = builders.attributes(grid)
    answers = [
        {"question": qs["nps"].pk, "value": nps},
        {"question": qs["csat"].pk, "value": csat},
        {"question": qs["ces"].pk, "value": ces},
        {
            "question": grid.pk,
            "attribute": on_time.pk,
            "importance": 7,
            "performance": nps % 7 + 1,
            "competitor_performance": 4,
        },
        {"question": grid.pk, "attribute": friendly.pk, "importance": 3, "performance": 6},
    ]
    if kw.get("comment"):
        answers.append({"question": qs["text"].pk, "text": kw["comment"]})
    actions.record_response(
        survey=s,
        answers=answers,
        wave=qs["waves"][wave],
        channel=kw.get("channel", "web"),
        moment_id=kw.get("moment"),
    )


# (nps, csat, ces, wave, channel)
ROWS = [
    (10, 5, 2, 0, "web"),
    (9, 4, 3, 0, "web"),
    (3, 2, 6, 0, "email"),
    (7, 3, 4, 1, "web"),
    (10, 5, 1, 1, "email"),
    (0, 1, 7, 1, "email"),
    (8, 4, 2, 1, "web"),
]


def test_figures_match_a_hand_count(world: World) -> None:
    s, qs = _survey(world)
    for nps, csat, ces, wave, channel in ROWS:
        _answer(world, s, qs, nps, csat, ces, wave, channel=channel, comment=f"nps {nps}")
    results = survey_results(s, list(questions_of(s)), Filters(), "en")
    assert results.responses == 7
    by_q = {r.question.pk: r for r in results.questions}
    # NPS: promoters 10, 9, 10 = 3; detractors 3, 0 = 2; n = 7 -> 100 * (3 - 2) / 7
    nps = by_q[qs["nps"].pk].score
    assert nps is not None and nps.n == 7
    assert nps.value == pytest.approx(100 / 7)
    p, d = 3 / 7, 2 / 7
    se = 100 * ((p + d - (p - d) ** 2) / 7) ** 0.5
    assert nps.low == pytest.approx(100 / 7 - Z95 * se)
    # CSAT: top two boxes (4, 5): 5, 4, 5, 4 = 4 of 7
    csat = by_q[qs["csat"].pk].score
    assert csat is not None and csat.value == pytest.approx(400 / 7)
    # CES: mean of 2, 3, 6, 4, 1, 7, 2 = 25 / 7
    ces = by_q[qs["ces"].pk].score
    assert ces is not None and ces.value == pytest.approx(25 / 7)
    # distribution of the NPS question: every point 0..10 with its count
    bars = {b.value: b.n for b in by_q[qs["nps"].pk].bars}
    assert list(bars) == list(range(11))
    assert bars[10] == 2 and bars[0] == 1 and bars[5] == 0
    # trend: Q1 has promoters 2, detractors 1 of 3; Q2 promoters 1, detractors 1 of 4
    trend = {q.pk: dict(series) for q, series in results.trend}
    assert trend[qs["nps"].pk]["Q1"].value == pytest.approx(100 / 3)
    assert trend[qs["nps"].pk]["Q2"].value == pytest.approx(0.0)
    # breakdown by channel: web 10, 9, 7, 8 -> 2 promoters of 4 = 50; email 3, 10, 0 -> (1 - 2) / 3
    channel = next(b for b in results.breakdowns if b.title == "By channel")
    rows = dict(channel.rows)
    assert rows["Web link"].value == pytest.approx(50.0)
    assert rows["Email"].value == pytest.approx(-100 / 3)
    # grid: On time importance 7 everywhere; performance nps % 7 + 1
    ipa = by_q[qs["grid"].pk].ipa
    assert ipa is not None
    on_time = next(a for a in ipa.attributes if a.name == "On time")
    expected = sum(n % 7 + 1 for n, *_ in ROWS) / 7
    assert on_time.performance == pytest.approx(expected)
    assert on_time.gap == pytest.approx(expected - 4)
    # narrowed to a wave
    q2 = survey_results(s, list(questions_of(s)), Filters(wave=qs["waves"][1]), "en")
    assert q2.responses == 4
    assert {r.question.pk: r for r in q2.questions}[qs["nps"].pk].score.n == 4  # type: ignore[union-attr]


def test_results_page_shows_figures_charts_and_comments(world: World, client_for: Any) -> None:
    s, qs = _survey(world)
    for i, (nps, csat, ces, wave, channel) in enumerate(ROWS):
        _answer(world, s, qs, nps, csat, ces, wave, channel=channel, comment=f"comment number {i}")
    client = client_for("viewer")
    response = client.get(reverse("survey-results", args=[s.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "14.3" in body  # NPS 100/7
    assert "unsafe-eval" in response["Content-Security-Policy"]
    assert 'class="vega-chart"' in body
    assert "comment number 6" in body
    # comments filtered by a word
    body = client.get(reverse("survey-results", args=[s.pk]) + "?q=number 3").content.decode()
    assert "comment number 3" in body and "comment number 4" not in body
    # narrowed to a channel
    body = client.get(reverse("survey-results", args=[s.pk]) + "?channel=email").content.decode()
    assert "comment number 2" in body and "comment number 0" not in body


def test_results_query_count_does_not_depend_on_the_number_of_responses(
    world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    s, qs = _survey(world)
    client = client_for("manager")
    url = reverse("survey-results", args=[s.pk])
    _answer(world, s, qs, 9, 5, 2, 0, comment="first")
    _answer(world, s, qs, 3, 2, 6, 1, comment="second")
    client.get(url)
    with django_assert_num_queries(23) as few:
        client.get(url)
    for i in range(30):
        _answer(world, s, qs, i % 11, i % 5 + 1, i % 7 + 1, i % 2, channel="email" if i % 3 else "web", comment=f"c{i}")
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)


def test_an_empty_survey_says_so(world: World, client_for: Any) -> None:
    s, _qs = _survey(world)
    body = client_for("viewer").get(reverse("survey-results", args=[s.pk])).content.decode()
    assert "No response matches yet" in body


def test_allocation_shows_the_mean_points_per_attribute(world: World, client_for: Any) -> None:
    s = builders.survey(world.admin)
    q = builders.question(world.admin, s, K.ALLOCATION, "Share 100 points")
    a, b = (
        actions.add_attribute(acting_user=world.admin.user, question=q, texts={"en": n}) for n in ("Speed", "Price")
    )
    builders.open_survey(world.admin, s)
    for speed in (70, 40, 10):
        actions.record_response(
            survey=s,
            answers=[
                {"question": q.pk, "attribute": a.pk, "value": speed},
                {"question": q.pk, "attribute": b.pk, "value": 100 - speed},
            ],
        )
    results = survey_results(s, list(questions_of(s)), Filters(), "en")
    assert results.questions[0].allocation == [("Speed", pytest.approx(40.0)), ("Price", pytest.approx(60.0))]
    body = client_for("viewer").get(reverse("survey-results", args=[s.pk])).content.decode()
    assert "Mean points" in body and "60.0" in body


def test_multiple_choice_counts_people_not_ticks(world: World) -> None:
    """Six people each tick two of three options: n is 6 and each ticked option is chosen by 100 % of them."""
    s = builders.survey(world.admin, service_id=world.service.pk)
    multi = builders.question(
        world.admin,
        s,
        K.MULTIPLE_CHOICE,
        "What did you buy?",
        choices=[{"texts": {"en": "Bricks"}}, {"texts": {"en": "Cement"}}, {"texts": {"en": "Sand"}}],
    )
    builders.open_survey(world.admin, s)
    for _ in range(6):
        actions.record_response(survey=s, answers=[{"question": multi.pk, "choices": [1, 3]}])
    result = next(r for r in survey_results(s, list(questions_of(s)), Filters(), "en").questions)
    assert result.n == 6
    shares = {b.label: (b.n, b.share) for b in result.bars}
    assert shares == {"Bricks": (6, 100.0), "Cement": (0, 0.0), "Sand": (6, 100.0)}


def test_breakdowns_by_customer_type_and_language(world: World) -> None:
    """A business customer (company on file) in Spanish, a private one in Malay, and an anonymous answer."""
    from servicecycle.accounts.models import Customer

    s = builders.survey(world.admin, service_id=world.service.pk)
    nps = builders.question(world.admin, s, K.NPS, "Recommend?")
    builders.open_survey(world.admin, s)
    firm = Customer.objects.create(organization=world.org, name="Firm", company="Firm Ltd", preferred_language="es")
    person = Customer.objects.create(organization=world.org, name="Person", preferred_language="ms")
    for customer, score in ((firm, 10), (firm, 9), (person, 2), (None, 8)):
        actions.record_response(
            survey=s, answers=[{"question": nps.pk, "value": score}], customer_id=customer.pk if customer else None
        )
    results = survey_results(s, list(questions_of(s)), Filters(), "en")
    by_title = {b.title: {label: score.value for label, score in b.rows} for b in results.breakdowns}
    assert by_title["By customer type"] == {
        "Business customers": pytest.approx(100.0),
        "Private customers": pytest.approx(-100.0),
        "Not a customer on file": pytest.approx(0.0),
    }
    assert by_title["By the customer's preferred language"] == {
        "Spanish": pytest.approx(100.0),
        "Malay": pytest.approx(-100.0),
        "not given": pytest.approx(0.0),
    }


def test_an_interval_is_shown_only_where_it_says_something(world: World, client_for: Any) -> None:
    """One promoter gives NPS 100 with a standard error of 0: "100.0 to 100.0" would claim a certainty the data
    does not have. Below MIN_INTERVAL_N answers, or with answers all alike, the page says so instead."""
    from servicecycle.surveys.results import MIN_INTERVAL_N

    s, qs = _survey(world)
    _answer(world, s, qs, 10, 5, 2, 0)
    client = client_for("viewer")
    body = client.get(reverse("survey-results", args=[s.pk])).content.decode()
    assert "100.0 to 100.0" not in body
    assert "n = 1: too few or too alike for an interval" in body
    for i in range(MIN_INTERVAL_N):
        _answer(world, s, qs, i % 11, i % 5 + 1, i % 7 + 1, 0)
    body = client.get(reverse("survey-results", args=[s.pk])).content.decode()
    assert f"n = {MIN_INTERVAL_N + 1}" in body and "95 % interval" in body and "too few or too alike" not in body


def test_one_response_reads_in_full_and_the_comments_lead_to_it(world: World, client_for: Any) -> None:
    s, qs = _survey(world)
    customer = accounts.create_customer(acting_user=world.admin.user, name="Marta Díaz", email="marta@example.test")
    _answer(world, s, qs, 10, 5, 2, 0)  # someone else's
    on_time, friendly = builders.attributes(qs["grid"])
    answered = actions.record_response(
        survey=s,
        customer_id=customer.pk,
        channel="email",
        answers=[
            {"question": qs["nps"].pk, "value": 4},
            {"question": qs["csat"].pk, "value": 4},
            {"question": qs["ces"].pk, "value": 6},
            {
                "question": qs["grid"].pk,
                "attribute": on_time.pk,
                "importance": 7,
                "performance": 2,
                "competitor_performance": 5,
            },
            {"question": qs["grid"].pk, "attribute": friendly.pk, "importance": 3, "performance": 6},
            {"question": qs["text"].pk, "text": "The driver <b>never</b> called.\nTwice."},
        ],
    )
    client = client_for("viewer")
    url = reverse("survey-response", kwargs={"pk": s.pk, "response_pk": answered.pk})
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page.status_code == 200
    lines = [(line.position, line.attribute, line.answer, line.low) for line in page.context["lines"]]
    assert lines == [
        (1, "", "4", True),  # a detractor
        (2, "", "4 of 5", False),
        (3, "", "6 of 7", False),
        (4, "", "The driver <b>never</b> called.\nTwice.", False),
        (5, "On time", "importance 7 · performance 2 · Rival 5", False),
        (5, "Friendly", "importance 3 · performance 6", False),
    ]
    html = page.content.decode()
    assert "The driver &lt;b&gt;never&lt;/b&gt; called.<br>Twice." in html  # escaped, line breaks kept
    assert reverse("customer-detail", kwargs={"pk": customer.pk}) in html and "unhappy" in html
    own = [q["sql"] for q in queries.captured_queries if "surveys_" in q["sql"]]
    assert len(own) == 3, own  # the survey, the response with its links, the answers with their questions
    # the comment in the results leads to its response
    results = client.get(reverse("survey-results", kwargs={"pk": s.pk})).content.decode()
    assert url in results
    # another survey's or another organization's response is not found
    other = builders.survey(world.admin, title="Other")
    builders.question(world.admin, other, K.NPS, "Recommend?")
    builders.open_survey(world.admin, other)
    assert (
        client.get(reverse("survey-response", kwargs={"pk": other.pk, "response_pk": answered.pk})).status_code == 404
    )
    assert client.get(reverse("survey-response", kwargs={"pk": s.pk, "response_pk": 10**30})).status_code == 404
    elsewhere = factories.staff(factories.organization("Elsewhere"), "admin")
    foreign = builders.survey(elsewhere, title="Theirs")
    builders.question(elsewhere, foreign, K.NPS, "Recommend?")
    builders.open_survey(elsewhere, foreign)
    theirs = actions.record_response(survey=foreign, answers=[{"question": foreign.questions.get().pk, "value": 3}])
    for survey_pk in (foreign.pk, s.pk):
        url = reverse("survey-response", kwargs={"pk": survey_pk, "response_pk": theirs.pk})
        assert client.get(url).status_code == 404
