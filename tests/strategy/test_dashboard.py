"""The manager dashboard against hand-computed figures, its empty states, who sees it, its exports and its
pinned query count.

The world's organization works 09:00-18:00 Monday to Friday in UTC. The dashboard is read on Wednesday
2026-04-22 at 09:30: the 30-day period runs from 2026-03-24 to 2026-04-22, the 90-day one from 2026-01-23,
and the NPS trend covers May 2025 to April 2026.
"""

from __future__ import annotations

import io
import math
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from servicecycle.cases import actions as case_actions
from servicecycle.cases.models import Case
from servicecycle.cases.reports import ReportFilters, timings
from servicecycle.promises import actions as promise_actions
from servicecycle.strategy import actions as strategy_actions
from servicecycle.strategy.dashboard import build_dashboard, nps_chart, parse_days
from servicecycle.strategy.dashboard_views import dashboard_tables
from servicecycle.surveys import actions as survey_actions
from servicecycle.surveys.models import Question, Survey, Wave
from tests.cases import builders as case_builders
from tests.factories import World
from tests.promises import builders as promise_builders
from tests.surveys import builders as survey_builders

NOW = datetime(2026, 4, 22, 9, 30, tzinfo=UTC)


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def received(w: World, when: datetime, **kwargs: Any) -> Case:
    with time_machine.travel(when, tick=False):
        return case_builders.complaint(w, **kwargs).case


def acknowledged(w: World, case: Case, when: datetime) -> Case:
    with time_machine.travel(when, tick=False):
        return case_actions.acknowledge(acting_user=w.agent.user, case=case_builders.fresh(case))


def nps_survey(w: World) -> tuple[Survey, Question]:
    survey = survey_builders.survey(w.manager, "After delivery")
    question = survey_builders.question(w.manager, survey, Question.Kind.NPS, "Would you recommend us?")
    survey_builders.open_survey(w.manager, survey)
    return survey, question


def wave(w: World, survey: Survey, name: str, starts_on: date) -> Wave:
    return survey_actions.add_wave(acting_user=w.manager.user, survey=survey, name=name, starts_on=starts_on)


def answered(survey: Survey, question: Question, when: datetime, *scores: int, in_wave: Wave | None = None) -> None:
    for score in scores:
        with time_machine.travel(when, tick=False):
            survey_actions.record_response(
                survey=survey, answers=[{"question": question.pk, "value": score}], wave=in_wave
            )


def promise_kept(w: World, due: datetime) -> None:
    with time_machine.travel(at(due.month, due.day, 8) if due.hour > 8 else due, tick=False):
        promise = promise_builders.given(w, due_at=due)
        promise_actions.mark_kept(acting_user=w.agent.user, promise=promise_builders.fresh(promise))


def promise_broken(w: World, due: datetime) -> None:
    with time_machine.travel(at(due.month, due.day, 8), tick=False):
        promise = promise_builders.given(w, due_at=due)
    promise_actions.handle_promise_deadline(promise_id=promise.pk, now=due)


@pytest.fixture
def figures(world: World) -> World:
    """Known data: SLA (acknowledgement 15 business minutes), promises, NPS answers, a demand history and a
    complaint about one moment."""
    case_builders.policy(world.manager, acknowledgement=15)
    acknowledged(world, received(world, at(3, 2, 10)), at(3, 2, 10, 5))  # met, 51 days ago: only in 90 days
    acknowledged(world, received(world, at(4, 15, 9)), at(4, 15, 9, 10))  # met (10 minutes)
    acknowledged(world, received(world, at(4, 16, 9), moment_id=world.moments[1].pk), at(4, 16, 9, 40))  # breached
    received(world, at(4, 22, 9, 20))  # running at 09:30 (due 09:35)
    promise_kept(world, at(4, 20, 12))
    promise_kept(world, at(4, 21, 12))
    promise_kept(world, at(2, 2, 12))  # due 79 days ago: only in 90 days
    promise_broken(world, at(4, 17, 12))
    survey, question = nps_survey(world)
    april = wave(world, survey, "April", date(2026, 4, 1))  # made first, starts later: the trend goes by start
    march = wave(world, survey, "March", date(2026, 3, 1))
    answered(survey, question, at(3, 10, 12), 10, 9, 7, 3, in_wave=march)  # 2 promoters, 1 passive, 1 detractor
    answered(survey, question, at(4, 5, 12), 10, 6, in_wave=april)  # 1 promoter, 1 detractor
    answered(survey, question, at(4, 6, 12), 0)  # outside any wave: not in the trend
    strategy_actions.set_demand_history(
        acting_user=world.manager.user,
        service=world.service,
        rows=[
            strategy_actions.DemandRow(row=i, period=p, demand=v)
            for i, (p, v) in enumerate((("2022", "100"), ("2023", "110"), ("2024", "121"), ("2025", "200")), start=1)
        ],
    )
    return world


def nps_by_hand(promoters: int, passives: int, detractors: int) -> tuple[float, float, float]:
    n = promoters + passives + detractors
    p, d = promoters / n, detractors / n
    score = 100 * (p - d)
    se = 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    return score, max(-100.0, score - 1.96 * se), min(100.0, score + 1.96 * se)


def test_figures_equal_the_hand_computed_ones(figures: World) -> None:
    with time_machine.travel(NOW, tick=False):
        d = build_dashboard(figures.org, days=30)
    assert (d.start, d.end) == (date(2026, 3, 24), date(2026, 4, 22))
    ack = {s.target: s for s in d.sla}["acknowledgement"]
    assert (ack.met, ack.breached, ack.running) == (1, 1, 1)
    assert ack.percent == 50.0
    assert all(s.decided == 0 and s.percent is None for s in d.sla if s.target != "acknowledgement")
    assert d.sla_has_policy and not d.sla_empty
    assert (d.promises.kept, d.promises.broken) == (2, 1)
    assert d.promises.percent == pytest.approx(200 / 3)
    assert [(m.label, m.starts_on) for m in d.nps_trend] == [("March", date(2026, 3, 1)), ("April", date(2026, 4, 1))]
    march, april = (m.result for m in d.nps_trend)
    assert (march.n, march.promoters, march.passives, march.detractors) == (4, 2, 1, 1)
    assert (march.nps, *march.ci95) == pytest.approx(nps_by_hand(2, 1, 1))
    assert march.nps == 25.0
    assert (april.nps, *april.ci95) == pytest.approx(nps_by_hand(1, 0, 1))
    assert d.nps_latest is not None and d.nps_latest.result.nps == 0.0
    # demand 100, 110, 121, 200: changes 10 %, 10 %, 65.3 %; sigma 38.6, the last change is above +0.5 sigma
    assert [(c.service, c.stage) for c in d.cards] == [(figures.service, "growth")]
    assert d.cards[0].stage_label == "Growth"
    # the only complaint about a moment was about the second one: it is the worst, and its wheel segment has the
    # colour the ranking gives it
    assert d.critical[0].moment == figures.moments[1]
    assert all(r.score > d.critical[0].score for r in d.critical[1:])
    card_colours = {s.moment.pk: s.heat_color for s in d.cards[0].segments}
    assert card_colours[figures.moments[1].pk] == d.critical[0].heat_color


def test_the_ninety_day_period_counts_the_older_case_and_promise(figures: World) -> None:
    with time_machine.travel(NOW, tick=False):
        d = build_dashboard(figures.org, days=90)
    assert d.start == date(2026, 1, 23)
    ack = {s.target: s for s in d.sla}["acknowledgement"]
    assert (ack.met, ack.breached, ack.running) == (2, 1, 1)
    assert (d.promises.kept, d.promises.broken) == (3, 1)
    assert len(d.nps_trend) == 2  # the trend goes by wave, whatever the period


def test_days_come_from_a_fixed_choice(world: World) -> None:
    assert [parse_days(v) for v in ("30", "90", "7", "abc", None, "")] == [30, 90, 30, 30, 30, 30]
    with pytest.raises(ValueError, match="days"):
        build_dashboard(world.org, days=7)


def test_the_page_shows_the_figures(figures: World, client_for: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        response = client_for("manager").get(reverse("home"))
    assert response.status_code == 200
    assert "strategy/dashboard.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert "50.0 %" in page  # acknowledgement
    assert "66.7 %" in page  # promises kept
    assert "2 kept, 1 broken" in page
    assert page.count('class="nps-point"') == 2
    assert reverse("service-lifecycle", kwargs={"pk": figures.service.pk}) in page
    assert 'data-stage="growth"' in page
    assert reverse("moment-detail", kwargs={"service_id": figures.service.pk, "pk": figures.moments[1].pk}) in page
    assert 'class="heat"' in page  # the wheel's heat ring
    with time_machine.travel(NOW, tick=False):
        ninety = client_for("admin").get(reverse("home") + "?days=90").content.decode()
    assert "66.7 %" in ninety  # acknowledgement over 90 days: 2 of 3
    assert "75.0 %" in ninety  # promises over 90 days: 3 of 4


def test_empty_states(world: World, client_for: Any) -> None:
    d = build_dashboard(world.org)
    assert d.critical == [] and d.nps_trend == [] and not d.sla_has_policy and d.sla_empty
    assert d.promises.percent is None and d.cards[0].stage is None
    assert nps_chart(d.nps_trend) is None
    page = client_for("manager").get(reverse("home")).content.decode()
    assert "No moment is measured yet" in page
    assert "No SLA policy is set" in page
    assert "No NPS answers in any survey wave yet." in page
    assert "none due and resolved in the period" in page
    assert "Stage not known yet" in page
    assert "nps-point" not in page and 'class="heat"' not in page


def test_an_organization_without_services_gets_the_invitation_to_add_one(world: World, client_for: Any) -> None:
    from servicecycle.catalog.models import Service

    Service.objects.filter(pk=world.service.pk).update(status=Service.Status.RETIRED)
    page = client_for("admin").get(reverse("home")).content.decode()
    assert "No services yet" in page
    assert reverse("service-create") in page


@pytest.mark.parametrize("role", ["lead", "lead_other", "agent", "viewer"])
def test_everyone_else_keeps_the_overview(world: World, client_for: Any, role: str) -> None:
    response = client_for(role).get(reverse("home"))
    assert response.status_code == 200
    names = [t.name for t in response.templates]
    assert "core/home.html" in names and "strategy/dashboard.html" not in names
    assert client_for(role).get(reverse("dashboard-pdf")).status_code == 403
    assert client_for(role).get(reverse("dashboard-xlsx")).status_code == 403


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_managers_and_admins_get_the_dashboard(world: World, client_for: Any, role: str) -> None:
    response = client_for(role).get(reverse("home"))
    assert "strategy/dashboard.html" in [t.name for t in response.templates]


def test_pdf_export(figures: World, client_for: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        response = client_for("manager").get(reverse("dashboard-pdf") + "?days=90")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="dashboard-acme-supplies-' in response["Content-Disposition"]
    assert "-2026-04-22.pdf" in response["Content-Disposition"]


def test_pdf_export_without_any_data(world: World, client_for: Any) -> None:
    response = client_for("admin").get(reverse("dashboard-pdf"))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_xlsx_export_holds_the_same_figures(figures: World, client_for: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        response = client_for("manager").get(reverse("dashboard-xlsx"))
        expected = {t.name: t for t in dashboard_tables(build_dashboard(figures.org, days=30))}
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-2026-04-22.xlsx"')
    book = io.BytesIO(response.content)
    sla = pl.read_excel(book, sheet_name="sla", read_options={"header_row": 2})
    assert sla.columns == expected["sla"].columns
    assert sla.row(0) == ("Acknowledgement", 1, 1, 1, 50.0)
    nps = pl.read_excel(book, sheet_name="nps", read_options={"header_row": 2})
    assert nps["NPS"].to_list() == [25.0, 0.0]
    assert nps["Answers"].to_list() == [4, 2]
    critical = pl.read_excel(book, sheet_name="critical", read_options={"header_row": 2})
    assert critical["Moment"].to_list()[0] == figures.moments[1].name
    assert critical.height == len(expected["critical"].rows)
    services = pl.read_excel(book, sheet_name="services", read_options={"header_row": 2})
    assert services["Life-cycle stage"].to_list() == ["Growth"]
    summary = pl.read_excel(book, sheet_name="summary", read_options={"header_row": 2})
    assert "Promises kept (percent)" in summary["Figure"].to_list()


def test_pdf_cells_round_as_the_page_does(figures: World) -> None:
    """The PDF's health figures have the page's two decimals (0.40 and 0.41 stay apart), percentages one."""
    from django.template.defaultfilters import floatformat

    from servicecycle.strategy.dashboard_views import _cell, _health, _pct

    with time_machine.travel(NOW, tick=False):
        d = build_dashboard(figures.org, days=30)
    tables = {t.name: t for t in dashboard_tables(d)}
    assert [_cell(row[-1]) for row in tables["critical"].rows] == [floatformat(r.score, 2) for r in d.critical]
    assert [_cell(v) for v in tables["sla"].rows[0][1:]] == ["1", "1", "1", "50.0"]
    assert [_cell(_health(v)) for v in (0.40, 0.409, 0.0, 1.0)] == ["0.40", "0.41", "0.00", "1.00"]
    assert [_cell(_pct(v)) for v in (1.0, 66.6667, 100.0, -12.34)] == ["1.0", "66.7", "100.0", "-12.3"]
    assert _health(0.409) == 0.409  # the workbook keeps the number itself


def test_the_exports_write_the_period_as_the_language_writes_dates(figures: World) -> None:
    with time_machine.travel(NOW, tick=False), translation.override("es"):
        period = dashboard_tables(build_dashboard(figures.org, days=30))[0].rows[0][1]
    assert "24 de marzo de 2026" in period and "22 de abril de 2026" in period
    assert "2026-03-24" not in period


def _more_data(w: World, survey: Survey, question: Question, in_wave: Wave) -> None:
    for i in range(49):
        case = received(w, at(4, 13 + i % 8, 9 + i % 8), moment_id=w.moments[i % 3].pk)
        if i % 2:
            acknowledged(w, case, at(4, 13 + i % 8, 10 + i % 8))
    for day in (14, 15, 16):
        promise_kept(w, at(4, day, 12))
        promise_broken(w, at(4, day, 15))
    answered(survey, question, at(1, 10, 12), 9, 4, in_wave=wave(w, survey, "January", date(2026, 1, 1)))
    answered(survey, question, at(2, 10, 12), 8, in_wave=wave(w, survey, "February", date(2026, 2, 1)))
    answered(survey, question, at(3, 11, 12), 8, 9, in_wave=in_wave)


def test_query_count_is_pinned_and_independent_of_the_amount_of_data(
    world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    case_builders.policy(world.manager, acknowledgement=15)
    received(world, at(4, 15, 9), moment_id=world.moments[0].pk)
    survey, question = nps_survey(world)
    march = wave(world, survey, "March", date(2026, 3, 1))
    answered(survey, question, at(3, 10, 12), 10, in_wave=march)
    client = client_for("manager")
    with time_machine.travel(NOW, tick=False):
        client.get(reverse("home"))  # warm the session and the holiday cache
        cache.clear()  # every day's SLA figures counted afresh: the most queries the page makes
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("home"))
    _more_data(world, survey, question, march)
    cache.clear()
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(len(few)):
        response = client.get(reverse("home"))
    assert response.content.decode().count('class="nps-point"') == 3
    # services (with their last stage), their count, moments, rank_moments (its moments and 3 health sources, which
    # colour the wheels too), SLA (cases per day; the stale days' cases and their pauses; the policies and the
    # calendar are kept by the process for the organization's settings stamp), NPS trend (counts, wave names),
    # promise figures
    world.org.refresh_from_db()  # the settings stamp the policy change gave it, as a request would read it
    cache.clear()
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(13):
        build_dashboard(world.org)
    # with every day's SLA figures in the cache, the stale days' cases and pauses are not read
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(11):
        build_dashboard(world.org)
    assert len(few) == 20  # the rest: session, user, staff profile, the page's badges and counters


def test_sla_figures_agree_with_the_case_reports_and_follow_changes(figures: World) -> None:
    """The per-day counts (cached) give what ``cases.reports.timings`` gives over the same cases, before and
    after a case changes, and a running target turns into a breach once its due instant passes."""
    case_builders.policy(figures.manager, acknowledgement=15, first_response=120, resolution=480)

    def both(days: int, now: datetime) -> tuple[Any, Any]:
        with time_machine.travel(now, tick=False):
            d = build_dashboard(figures.org, days=days)
            report = timings(figures.org, ReportFilters(start=d.start, end=d.end), now=now)
        return d.sla, report.sla

    for days in (30, 90):
        ours, theirs = both(days, NOW)
        assert ours == theirs
    running = {s.target: s for s in both(30, NOW)[0]}["acknowledgement"].running
    assert running == 1
    # 09:36: the running case's acknowledgement (due 09:35) is now breached; the cached day is counted again
    later = datetime(2026, 4, 22, 9, 36, tzinfo=UTC)
    ours, theirs = both(30, later)
    assert ours == theirs
    assert {s.target: s for s in ours}["acknowledgement"].running == 0
    # a change to a case of a cached day shows at once
    late = Case.objects.get(received_at=at(4, 16, 9))
    with time_machine.travel(at(4, 22, 9, 40), tick=False):
        case_actions.add_message(acting_user=figures.agent.user, case=late, kind="public_reply", body="Sorted.")
    ours, theirs = both(30, datetime(2026, 4, 22, 9, 41, tzinfo=UTC))
    assert ours == theirs
    assert {s.target: s for s in ours}["first_response"].decided >= 1


def test_nps_chart_places_the_waves_in_order(figures: World) -> None:
    with time_machine.travel(NOW, tick=False):
        d = build_dashboard(figures.org)
    chart = nps_chart(d.nps_trend)
    assert chart is not None
    assert [t.label for t in chart.x_ticks] == ["March", "April"]
    march, april = chart.points
    assert march.x < april.x
    assert march.y < chart.zero_y  # 25 is above zero (smaller y)
    assert april.y == chart.zero_y  # 0
    assert march.y_high <= march.y <= march.y_low
