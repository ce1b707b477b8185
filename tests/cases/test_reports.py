"""Case reports against hand-computed figures: volume, business-time medians, SLA %, CSAT, Pareto, exports, queries.

The world's organization works 09:00-18:00 Monday to Friday in UTC, without public holidays. April 2026:
Wednesday 15, Thursday 16, Friday 17, (weekend), Monday 20, Tuesday 21, Wednesday 22.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from servicecycle.cases import actions
from servicecycle.cases.models import Case
from servicecycle.cases.reports import (
    ReportFilters,
    case_report,
    category_pareto,
    csat_after_resolution,
    parse_filters,
    report_tables,
    timings,
    volume,
    volume_table,
)
from tests.cases import builders
from tests.factories import World

PERIOD = ReportFilters(start=date(2026, 4, 13), end=date(2026, 4, 26))
NOW = datetime(2026, 4, 22, 9, 30, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 4, day, hour, minute, tzinfo=UTC)


def step(when: datetime, fn: Any, **kwargs: Any) -> Any:
    with time_machine.travel(when, tick=False):
        return fn(**kwargs)


def received(w: World, when: datetime, **kwargs: Any) -> Case:
    with time_machine.travel(when, tick=False):
        return builders.complaint(w, **kwargs).case


def answer(w: World, case: Case, when: datetime) -> Case:
    step(when, actions.add_message, acting_user=w.agent.user, case=case, kind="public_reply", body="We are on it.")
    return builders.fresh(case)


def resolve(w: World, case: Case, when: datetime) -> Case:
    case = builders.fresh(case)
    case = step(when, actions.assess, acting_user=w.agent.user, case=case, severity="minor", priority="normal")
    case = step(when, actions.assign, acting_user=w.agent.user, case=case, assignee_id=w.agent.pk)
    case = step(when, actions.decide_response, acting_user=w.agent.user, case=case, decision="Refund the fee.")
    return step(when, actions.communicate, acting_user=w.agent.user, case=case)


@pytest.fixture
def handled(world: World) -> dict[str, Case]:
    """Four complaints with known business times (minutes) and a policy of 15 / 120 / 480 business minutes."""
    builders.policy(world.manager, acknowledgement=15, first_response=120, resolution=480)
    u = world.agent.user
    # A: received Friday 17:00, acknowledged 17:30 (30), waits for the customer Monday 10:00-11:00,
    # first reply Monday 12:00 (60 on Friday + 180 on Monday - 60 paused = 180),
    # resolved Tuesday 10:00 (60 + 540 - 60 + 60 = 600)
    a = received(world, at(17, 17))
    a = step(at(17, 17, 30), actions.acknowledge, acting_user=u, case=a)
    a = step(at(20, 10), actions.wait_for_customer, acting_user=u, case=a, reason="Need the order number")
    a = step(at(20, 11), actions.resume, acting_user=u, case=a)
    a = answer(world, a, at(20, 12))
    a = resolve(world, a, at(21, 10))
    # B: received Wednesday 09:00, acknowledged 09:10 (10), reply 10:00 (60), resolved 13:00 (240)
    b = received(world, at(15, 9), channel="email")
    b = step(at(15, 9, 10), actions.acknowledge, acting_user=u, case=b)
    b = answer(world, b, at(15, 10))
    b = resolve(world, b, at(15, 13))
    # C: received Thursday 09:00, acknowledged 09:20 (20), nothing since
    c = received(world, at(16, 9), channel="email")
    c = step(at(16, 9, 20), actions.acknowledge, acting_user=u, case=c)
    # D: received Wednesday 22 at 09:00; the report is taken at 09:30
    d = received(world, at(22, 9), channel="hotline", hotline_caller="Ms Lee")
    return {"a": a, "b": b, "c": c, "d": d}


def test_medians_in_business_minutes_skip_nights_weekends_and_pauses(world: World, handled: dict[str, Case]) -> None:
    result = timings(world.org, PERIOD, now=NOW)
    times = {t.step: (t.n, t.median_minutes) for t in result.times}
    assert times["acknowledgement"] == (3, 20)  # 30, 10, 20
    assert times["first_response"] == (2, 120)  # 180, 60
    assert times["resolution"] == (2, 420)  # 600, 240


def test_sla_compliance_counts_met_and_breached_and_leaves_running_targets_out(
    world: World, handled: dict[str, Case]
) -> None:
    sla = {s.target: s for s in timings(world.org, PERIOD, now=NOW).sla}
    # acknowledgement within 15: B met; A (30) and C (20) late; D due 09:15, not done at 09:30
    assert (sla["acknowledgement"].met, sla["acknowledgement"].breached, sla["acknowledgement"].running) == (1, 3, 0)
    assert sla["acknowledgement"].percent == pytest.approx(25.0)
    # first response within 120: B met; A (180) late; C due Thursday 11:00 passed unanswered; D due 11:00: running
    assert (sla["first_response"].met, sla["first_response"].breached, sla["first_response"].running) == (1, 2, 1)
    assert sla["first_response"].percent == pytest.approx(100 / 3)
    # resolution within 480: B met; A (600) late; C due Thursday 17:00 passed; D running
    assert (sla["resolution"].met, sla["resolution"].breached, sla["resolution"].running) == (1, 2, 1)


def test_a_target_met_early_counts_before_it_falls_due(world: World, handled: dict[str, Case]) -> None:
    d = step(at(22, 9, 10), actions.acknowledge, acting_user=world.agent.user, case=handled["d"])
    assert d.acknowledged_at is not None
    sla = {s.target: s for s in timings(world.org, PERIOD, now=at(22, 9, 12)).sla}
    assert (sla["acknowledgement"].met, sla["acknowledgement"].breached) == (2, 2)


def test_no_policy_means_no_target_counted(world: World) -> None:
    received(world, at(15, 9))
    result = timings(world.org, PERIOD, now=NOW)
    assert result.has_policy is False
    assert all(s.decided == 0 and s.percent is None for s in result.sla)


def _closed_and_rated(world: World, when: datetime, score: int | None, **kwargs: Any) -> Case:
    with time_machine.travel(when, tick=False):
        created = builders.complaint(world, **kwargs)
        case = builders.closed(world, created.case)
        if score is not None:
            case = actions.rate_satisfaction(token=created.status_token or "", score=score)
    return case


def test_csat_after_resolution_with_the_wilson_interval(world: World) -> None:
    for day, score in ((14, 5), (15, 4), (16, 2), (17, None)):
        _closed_and_rated(world, at(day, 10), score)
    result = csat_after_resolution(world.org, PERIOD)
    assert result is not None
    assert (result.n, result.top_two) == (3, 2)
    assert result.csat == pytest.approx(66.667, abs=0.001)
    # Wilson, x = 2, n = 3, z = 1.96: centre 3.9208 / 6.8416, half 1.96 * sqrt(2/3 + 0.9604) / 6.8416
    assert result.ci95 == pytest.approx((20.7655, 93.8510), abs=0.0005)


def test_no_rating_means_no_csat(world: World) -> None:
    received(world, at(15, 9))
    assert csat_after_resolution(world.org, PERIOD) is None


def test_pareto_of_complaint_and_claim_categories(world: World) -> None:
    late = actions.create_category(acting_user=world.manager.user, name="Late delivery")
    billing = actions.create_category(acting_user=world.manager.user, name="Billing")

    def categorised(category_id: int | None, kind: str = "complaint", **kwargs: Any) -> None:
        case = received(world, at(15, 9), kind=kind, **kwargs)
        case = step(at(15, 10), actions.acknowledge, acting_user=world.agent.user, case=case)
        step(
            at(15, 10),
            actions.assess,
            acting_user=world.agent.user,
            case=case,
            severity="minor",
            priority="normal",
            category_id=category_id,
        )

    for _ in range(3):
        categorised(late.pk)
    categorised(billing.pk, kind="claim", claim_request="refund", contact_email="kim@example.test")
    categorised(None)
    categorised(billing.pk, kind="suggestion")  # not a complaint: left out
    result = category_pareto(world.org, PERIOD)
    assert result is not None
    assert [(r.label, r.count) for r in result.rows] == [("Late delivery", 3), ("Billing", 1), ("No category yet", 1)]
    assert [r.cumulative for r in result.rows] == pytest.approx([0.6, 0.8, 1.0])
    assert [r.label for r in result.vital_few] == ["Late delivery", "Billing"]


def test_volume_by_channel_per_week_and_per_month(world: World, handled: dict[str, Case]) -> None:
    received(world, at(1, 9))  # outside the period
    weekly = volume(world.org, PERIOD, "channel")
    assert weekly.buckets == (date(2026, 4, 13), date(2026, 4, 20))
    assert weekly.count(date(2026, 4, 13), "web_form") == 1  # A (Friday 17)
    assert weekly.count(date(2026, 4, 13), "email") == 2  # B, C
    assert weekly.count(date(2026, 4, 20), "hotline") == 1  # D
    assert weekly.total == 4
    assert [key for key, _label in weekly.series] == ["email", "hotline", "web_form"]  # largest first, then by name
    monthly = volume(world.org, ReportFilters(start=date(2026, 3, 20), end=date(2026, 4, 30), bucket="month"), "kind")
    assert monthly.buckets == (date(2026, 3, 1), date(2026, 4, 1))
    assert monthly.count(date(2026, 4, 1), "complaint") == 5
    assert monthly.bucket_total(date(2026, 3, 1)) == 0


def test_volume_by_moment_names_the_moment_and_keeps_cases_without_one(world: World) -> None:
    received(world, at(15, 9), moment_id=world.moments[0].pk)
    received(world, at(15, 9), moment_id=world.moments[0].pk)
    received(world, at(15, 9))
    by_moment = volume(world.org, PERIOD, "moment")
    assert [label for _key, label in by_moment.series] == [f"{world.moments[0].name} (Delivery)", "No moment given"]
    assert by_moment.series_total(str(world.moments[0].pk)) == 2
    table = volume_table(by_moment)  # many moments: one row each, the weeks as columns
    assert table.columns == ("Moment of truth", date(2026, 4, 13), date(2026, 4, 20), "Total")
    assert table.rows == (
        (f"{world.moments[0].name} (Delivery)", 2, 0, 2),
        ("No moment given", 1, 0, 1),
        ("Total", 3, 0, 3),
    )


def test_filters_narrow_every_figure(world: World, handled: dict[str, Case]) -> None:
    only_email = ReportFilters(start=PERIOD.start, end=PERIOD.end, channel="email")
    report = case_report(world.org, only_email, now=NOW)
    assert report.total == 2
    assert report.timings is not None
    assert {t.step: t.n for t in report.timings.times} == {"acknowledgement": 2, "first_response": 1, "resolution": 1}
    team = ReportFilters(start=PERIOD.start, end=PERIOD.end, team_id=world.other_team.pk)
    assert case_report(world.org, team, now=NOW).total == 0


def test_other_organizations_cases_never_count(world: World, handled: dict[str, Case]) -> None:
    from tests import factories

    other = factories.world()
    received(other, at(15, 9))
    assert case_report(world.org, PERIOD, now=NOW).total == 4
    assert case_report(other.org, PERIOD, now=NOW).total == 1


def test_bad_filters_are_named_and_replaced_by_defaults(world: World) -> None:
    filters, errors = parse_filters(
        world.org,
        {"from": "2026-13-01", "service": "999999", "kind": "rant", "bucket": "day", "team": "x"},
        service_ids={world.service.pk},
        team_ids={world.owner_team.pk},
    )
    assert set(errors) == {"from", "service", "kind", "bucket", "team"}
    assert (filters.service_id, filters.kind, filters.bucket, filters.team_id) == (None, "", "week", None)
    _filters, errors = parse_filters(
        world.org, {"from": "2026-04-10", "to": "2026-04-01"}, service_ids=set(), team_ids=set()
    )
    assert "to" in errors
    _filters, errors = parse_filters(
        world.org, {"from": "2020-01-01", "to": "2026-04-01"}, service_ids=set(), team_ids=set()
    )
    assert "from" in errors


# --- the page and the exports ---------------------------------------------------------------------------------

QUERY = "from=2026-04-13&to=2026-04-26"


@pytest.fixture
def page_client(client_for: Any) -> Any:
    return client_for("manager")


def test_page_shows_the_figures_with_n_charts_and_tables(
    world: World, handled: dict[str, Case], page_client: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = page_client.get(f"{reverse('case-reports')}?{QUERY}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "4 cases received" in body
    assert "20 min" in body and "median of 3 cases" in body  # acknowledgement
    assert "2 h 00 min" in body and "7 h 00 min" in body  # first response 120, resolution 420
    assert "25.0 %" in body and "1 met of 4 decided" in body
    assert 'data-spec-id="chart-volume"' in body and 'id="chart-volume"' in body
    assert 'id="table-volume-channel"' in body and 'id="table-pareto"' in body
    assert "unsafe-eval" in response["Content-Security-Policy"]


def test_page_says_so_when_there_are_no_cases(world: World, page_client: Any) -> None:
    response = page_client.get(reverse("case-reports"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "No cases in this period" in body
    assert "vega-chart" not in body


def test_page_shows_bad_filters_without_failing(world: World, page_client: Any) -> None:
    response = page_client.get(f"{reverse('case-reports')}?from=yesterday&service=abc")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Give a date as year-month-day" in body
    assert "Choose one of your organization&#x27;s services." in body


def test_page_query_count_is_pinned_and_independent_of_the_number_of_cases(
    world: World, page_client: Any, django_assert_num_queries: Any
) -> None:
    builders.policy(world.manager, acknowledgement=15)
    received(world, at(15, 9))
    url = f"{reverse('case-reports')}?{QUERY}"
    page_client.get(url)  # warm the session and the holiday cache
    with CaptureQueriesContext(connection) as few:
        page_client.get(url)
    for day in (14, 15, 16, 17, 20):
        for hour in (9, 11, 15):
            case = received(world, at(day, hour), channel="email", moment_id=world.moments[1].pk)
            step(at(day, hour, 5), actions.acknowledge, acting_user=world.agent.user, case=case)
            step(at(day, hour, 6), actions.wait_for_customer, acting_user=world.agent.user, case=builders.fresh(case))
    _closed_and_rated(world, at(16, 10), 5)
    with django_assert_num_queries(len(few)):
        page_client.get(url)
    assert len(few) == 18  # the calendar and policies are the process's copy (cases.sla)


@pytest.mark.parametrize("name", ["volume-channel", "volume-moment", "handling-times", "sla", "csat", "pareto"])
def test_csv_export_parses_back_to_the_table(
    world: World, handled: dict[str, Case], page_client: Any, name: str
) -> None:
    _closed_and_rated(world, at(16, 11), 4)
    with time_machine.travel(NOW, tick=False):
        response = page_client.get(f"{reverse('case-reports-export')}?format=csv&table={name}&{QUERY}")
        expected = report_tables(case_report(world.org, PERIOD))[name]
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"cases-{name}-2026-04-13-2026-04-26.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [str(c) for c in expected.columns]
    assert len(rows) - 1 == len(expected.rows) > 0
    assert rows[1] == ["" if v is None else v.isoformat() if isinstance(v, date) else str(v) for v in expected.rows[0]]


def test_xlsx_export_reads_back_with_polars(world: World, handled: dict[str, Case], page_client: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        response = page_client.get(f"{reverse('case-reports-export')}?format=xlsx&table=volume-channel&{QUERY}")
    assert response.status_code == 200
    frame = pl.read_excel(io.BytesIO(response.content))
    assert frame.columns == ["Week starting", "Email", "Hotline call", "Web form", "Total"]
    assert frame.height == 3  # two weeks and the totals
    assert frame["Email"].to_list() == [2, 0, 2]
    assert frame["Total"].to_list() == [3, 1, 4]


def test_xlsx_export_of_the_sla_table(world: World, handled: dict[str, Case], page_client: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        response = page_client.get(f"{reverse('case-reports-export')}?format=xlsx&table=sla&{QUERY}")
    frame = pl.read_excel(io.BytesIO(response.content))
    assert frame["Met"].to_list() == [1, 1, 1]
    assert frame["Compliance %"].to_list()[0] == pytest.approx(25.0)


def test_a_category_that_looks_like_a_formula_is_exported_as_text(world: World, page_client: Any) -> None:
    category = actions.create_category(acting_user=world.manager.user, name="=HYPERLINK(1)")
    case = received(world, at(15, 9))
    case = step(at(15, 10), actions.acknowledge, acting_user=world.agent.user, case=case)
    step(
        at(15, 10),
        actions.assess,
        acting_user=world.agent.user,
        case=case,
        severity="minor",
        priority="normal",
        category_id=category.pk,
    )
    response = page_client.get(f"{reverse('case-reports-export')}?format=csv&table=pareto&{QUERY}")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][0] == "'=HYPERLINK(1)"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("format=pdf&table=sla", "format: choose csv or xlsx"),
        ("format=csv&table=secrets", "table: choose one of"),
        ("format=csv&table=sla&from=soon", "from: Give a date"),
    ],
)
def test_export_refuses_bad_input_by_name(world: World, page_client: Any, query: str, message: str) -> None:
    response = page_client.get(f"{reverse('case-reports-export')}?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_outsiders_and_anonymous_visitors_see_nothing(world: World, handled: dict[str, Case], client_for: Any) -> None:
    from django.test import Client

    response = Client().get(reverse("case-reports"))
    assert response.status_code == 302
    outsider = client_for("outsider").get(f"{reverse('case-reports')}?{QUERY}")
    assert outsider.status_code == 200
    assert "No cases in this period" in outsider.content.decode()  # their own, empty organization


def test_the_chart_specs_compile_with_vega_lite(world: World, handled: dict[str, Case]) -> None:
    from servicecycle.analytics.charts import render
    from servicecycle.cases.report_views import pareto_chart, volume_chart

    categorised = actions.create_category(acting_user=world.manager.user, name="Late delivery")
    case = step(at(22, 9, 5), actions.acknowledge, acting_user=world.agent.user, case=handled["d"])
    step(
        at(22, 9, 6),
        actions.assess,
        acting_user=world.agent.user,
        case=case,
        severity="minor",
        priority="normal",
        category_id=categorised.pk,
    )
    report = case_report(world.org, PERIOD, now=NOW)
    volume_svg = render(volume_chart(report.volumes["channel"], weekly=True), "svg").decode()
    pareto_svg = render(pareto_chart(report), "svg").decode()
    assert volume_svg.startswith("<svg") and "Week starting" in volume_svg and "Hotline call" in volume_svg
    assert pareto_svg.startswith("<svg") and "Cumulative %" in pareto_svg and "Late delivery" in pareto_svg


def test_exporting_a_volume_table_runs_only_the_volume_queries(
    world: World, page_client: Any, django_assert_num_queries: Any
) -> None:
    received(world, at(15, 9))
    url = f"{reverse('case-reports-export')}?format=csv&table=volume-kind&{QUERY}"
    page_client.get(url)
    with CaptureQueriesContext(connection) as page:
        page_client.get(f"{reverse('case-reports')}?{QUERY}")
    with CaptureQueriesContext(connection) as export:
        page_client.get(url)
    for day in (14, 16, 17):
        received(world, at(day, 9), channel="email")
    with django_assert_num_queries(len(export)):
        page_client.get(url)
    # the page also reads the cases, pauses, policies, calendar (2), CSAT and Pareto, and the header bell count
    assert len(page) - len(export) == 8
