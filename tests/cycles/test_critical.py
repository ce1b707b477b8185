"""Critical moments: the worst moment across services comes first and is the hottest on its wheel; the figures
are the documented formula (docs/moment-health.md) worked by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from servicecycle.catalog import actions as catalog
from servicecycle.catalog.models import Service
from servicecycle.cycles import wheel
from servicecycle.cycles.critical import rank_moments
from servicecycle.cycles.models import Moment
from servicecycle.cycles.queries import moment_health, moments_of
from servicecycle.promises import actions as promise_actions
from servicecycle.surveys import actions as survey_actions
from servicecycle.surveys.models import Question
from tests import factories
from tests.cases import builders as case_builders
from tests.factories import World
from tests.promises import builders as promise_builders
from tests.surveys import builders as survey_builders

HOTTEST = wheel.heat_color(0.0)


@dataclass
class Scene:
    world: World
    installation: Service
    fitting: Moment
    handover: Moment
    returns: Service
    unmeasured: Moment


def _complaints(w: World, moment: Moment, n: int) -> None:
    for _ in range(n):
        case_builders.complaint(w, service_id=moment.service_id, moment_id=moment.pk)


def _promises(w: World, moment: Moment, *, kept: int, broken: int) -> None:
    for _ in range(kept):
        promise = promise_builders.given(w, service_id=moment.service_id, moment_id=moment.pk)
        promise_actions.mark_kept(acting_user=w.agent.user, promise=promise)
    now = timezone.now()
    for _ in range(broken):
        promise = promise_builders.given(
            w, service_id=moment.service_id, moment_id=moment.pk, due_at=now + timedelta(hours=1)
        )
        promise_actions.handle_promise_deadline(promise_id=promise.pk, now=now + timedelta(hours=2))


def _scores(w: World, moment: Moment, values: list[int], comment: str = "") -> None:
    survey = survey_builders.survey(w.admin, title=f"After {moment.name}", service_id=moment.service_id)
    csat = survey_builders.question(w.admin, survey, Question.Kind.CSAT, "How happy were you?", moment_id=moment.pk)
    text = survey_builders.question(w.admin, survey, Question.Kind.TEXT, "Tell us more", required=False)
    survey = survey_builders.open_survey(w.admin, survey)
    for value in values:
        answers: list[dict[str, Any]] = [{"question": csat.pk, "value": value}]
        if comment:
            answers.append({"question": text.pk, "text": comment})
        survey_actions.record_response(survey=survey, answers=answers)


@pytest.fixture
def scene(world: World) -> Scene:
    """Two measured services and one nobody measures; Step 2 of Delivery is the known worst moment.

    Delivery: Step 1 has 1 complaint; Step 2 has 4 complaints (the organization's most), 2 of 2 promises broken
    and five 1/5 scores; Step 3 has none of those but five 4/5 scores.
    Installation: Fitting has 3 complaints, 1 of 2 promises broken and five 2/5 scores; Handover nothing, but its
    service has cases, so it is measured at 0 complaints.
    Returns: one moment and no data at all.
    """
    w = world
    step1, step2, step3 = w.moments
    installation = factories.service(w.admin, w.other_team, "Installation")
    fitting = factories.moment(w.admin, installation, name="Fitting")
    handover = factories.moment(w.admin, installation, name="Handover")
    returns = factories.service(w.admin, w.owner_team, "Returns")
    unmeasured = factories.moment(w.admin, returns, name="Drop-off")
    _complaints(w, step1, 1)
    _complaints(w, step2, 4)
    _complaints(w, fitting, 3)
    _promises(w, step2, kept=0, broken=2)
    _promises(w, fitting, kept=1, broken=1)
    _scores(w, step2, [1, 1, 1, 1, 1], comment="Nobody called back")
    _scores(w, step3, [4, 4, 4, 4, 4])
    _scores(w, fitting, [2, 2, 2, 2, 2])
    return Scene(w, installation, fitting, handover, returns, unmeasured)


def test_the_known_worst_moment_is_ranked_first_and_coloured_hottest(scene: Scene) -> None:
    w = scene.world
    step1, step2, step3 = w.moments
    ranked = rank_moments(w.org)
    assert [r.moment.pk for r in ranked] == [step2.pk, scene.fitting.pk, step1.pk, step3.pk, scene.handover.pk]
    assert ranked[0].score == 0.0
    assert ranked[0].heat_color == HOTTEST
    assert ranked[0].service == w.service
    # its segment on the wheel of its own service is the hottest of all segments drawn, in the same colour
    segments = wheel.segments(moments_of(w.service), moment_health(moments_of(w.service)))
    by_moment = {s.moment.pk: s for s in segments}
    assert by_moment[step2.pk].heat_color == HOTTEST
    hues = {s.moment.pk: _hue(s.heat_color) for s in segments}
    assert min(hues, key=lambda pk: hues[pk]) == step2.pk
    installation = wheel.segments(moments_of(scene.installation), moment_health(moments_of(scene.installation)))
    assert all(_hue(s.heat_color) > _hue(HOTTEST) for s in installation)


def _hue(color: str | None) -> int:
    assert color is not None and color.startswith("hsl(")
    return int(color[4:].split(",")[0])


def test_the_formula_worked_by_hand(scene: Scene) -> None:
    w = scene.world
    step1, step2, step3 = w.moments
    figures = {r.moment.pk: r.health for r in rank_moments(w.org)}
    fitting = figures[scene.fitting.pk].components
    # complaints 3 / the organization's most at one moment (4); broken 1 of 2 resolved; CSAT mean 2 -> (5-2)/4
    assert fitting["complaints"].value == 3 and fitting["complaints"].badness == 0.75
    assert fitting["broken_promises"].value == 0.5 and fitting["broken_promises"].badness == 0.5
    assert fitting["satisfaction"].value == 2.0 and fitting["satisfaction"].badness == 0.75
    assert figures[scene.fitting.pk].score == round(1 - (0.75 + 0.5 + 0.75) / 3, 3) == 0.333
    assert figures[step2.pk].score == 0.0  # 4/4, 2/2, (5-1)/4: everything at its worst
    assert figures[step1.pk].score == 0.75  # 1/4 complaints, nothing else measured
    assert figures[step3.pk].score == 0.875  # 0 complaints and (5-4)/4: mean badness 0.125
    assert figures[scene.handover.pk].score == 1.0  # its service records cases, none about it
    assert set(figures[scene.handover.pk].components) == {"complaints"}


def test_the_wheel_the_ranking_and_the_moment_page_agree(scene: Scene) -> None:
    w = scene.world
    ranked = {r.moment.pk: r for r in rank_moments(w.org)}
    for service in (w.service, scene.installation):
        moments = moments_of(service)
        health = moment_health(moments)
        for segment in wheel.segments(moments, health):
            assert segment.heat_color == ranked[segment.moment.pk].heat_color
        for moment in moments:
            assert moment_health([moment])[moment.pk] == ranked[moment.pk].health


def test_unmeasured_moments_are_not_ranked_and_have_no_colour(scene: Scene) -> None:
    ranked = rank_moments(scene.world.org)
    assert scene.unmeasured.pk not in {r.moment.pk for r in ranked}
    (segment,) = wheel.segments(moments_of(scene.returns), moment_health(moments_of(scene.returns)))
    assert segment.heat_color is None


def test_only_active_services_of_the_organization_are_ranked(scene: Scene) -> None:
    w = scene.world
    catalog.update_service(acting_user=w.admin.user, service=scene.installation, status=Service.Status.PAUSED)
    ranked = rank_moments(w.org)
    assert scene.fitting.pk not in {r.moment.pk for r in ranked}
    # the scale stays the organization's: Step 2's 4 complaints are still the most
    assert ranked[0].moment.pk == w.moments[1].pk
    other = factories.world()
    _complaints(other, other.moments[0], 2)
    assert {r.service.organization_id for r in rank_moments(other.org)} == {other.org.pk}
    assert w.org.pk not in {r.service.organization_id for r in rank_moments(other.org)}


def test_limit_and_service_filter(scene: Scene) -> None:
    w = scene.world
    assert [r.moment.pk for r in rank_moments(w.org, limit=2)] == [w.moments[1].pk, scene.fitting.pk]
    assert rank_moments(w.org, limit=0) == []
    only = rank_moments(w.org, service_id=scene.installation.pk)
    assert [r.moment.pk for r in only] == [scene.fitting.pk, scene.handover.pk]
    assert only[0].score == 0.333  # the same organization-wide scale when narrowed to one service


def test_a_fixed_number_of_queries_whatever_the_data(scene: Scene) -> None:
    w = scene.world
    with CaptureQueriesContext(connection) as few:
        rank_moments(w.org)
    for i in range(4):
        service = factories.service(w.admin, w.owner_team, f"Extra {i}")
        for j in range(3):
            moment = factories.moment(w.admin, service, name=f"Extra {i}.{j}")
            _complaints(w, moment, 1)
    with CaptureQueriesContext(connection) as many:
        ranked = rank_moments(w.org)
    assert len(ranked) > 5
    assert len(many) == len(few) == 4  # moments, then one per health source (cases, promises, surveys)


# Pages -------------------------------------------------------------------------------------------------------


def test_the_ranking_page_lists_the_worst_first_with_its_figures(scene: Scene, client_for: Any) -> None:
    w = scene.world
    body = client_for("viewer").get(reverse("critical-moments")).content.decode()
    step2 = reverse("moment-evidence", kwargs={"service_id": w.service.pk, "pk": w.moments[1].pk})
    fitting = reverse("moment-evidence", kwargs={"service_id": scene.installation.pk, "pk": scene.fitting.pk})
    assert body.index(step2) < body.index(fitting)
    assert f"--heat: {HOTTEST}" in body
    assert "Health = 1 − the mean of the badness values the moment has." in body
    assert "Drop-off" not in body  # unmeasured: not ranked
    assert "0.33" in body and "→ 0.75" in body  # Fitting's health and its complaint badness (3 of the most, 4)
    only = client_for("viewer").get(reverse("critical-moments"), {"service": scene.installation.pk}).content.decode()
    assert fitting in only and step2 not in only
    assert f'<option value="{scene.returns.pk}"' in only  # every active service can be chosen
    empty = client_for("viewer").get(reverse("critical-moments"), {"service": scene.returns.pk}).content.decode()
    assert "No moment of this service is measured yet" in empty


def test_the_ranking_page_has_an_empty_state(world: World, client_for: Any) -> None:
    body = client_for("agent").get(reverse("critical-moments")).content.decode()
    assert "No moment is measured yet" in body


def test_the_ranking_page_makes_the_same_queries_whatever_the_data(
    scene: Scene, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    w = scene.world
    client = client_for("manager")
    client.get(reverse("critical-moments"))  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("critical-moments"))
    for i in range(3):
        service = factories.service(w.admin, w.owner_team, f"More {i}")
        for j in range(4):
            _complaints(w, factories.moment(w.admin, service, name=f"More {i}.{j}"), 1)
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("critical-moments"))
    assert response.status_code == 200 and "More 2.3" in response.content.decode()


def test_the_cycle_page_colours_the_worst_segment_hottest_and_explains_the_colours(
    scene: Scene, client_for: Any
) -> None:
    w = scene.world
    body = client_for("viewer").get(reverse("cycle", kwargs={"service_id": w.service.pk})).content.decode()
    assert body.count('class="heat"') == 3
    assert f'fill="{HOTTEST}" class="heat"><title>Health of Step 2: 0.00' in body
    assert "A moment without a ring is not measured yet." in body
    assert "How a moment&#x27;s health is worked out" in body or "How a moment's health is worked out" in body
    returns = client_for("viewer").get(reverse("cycle", kwargs={"service_id": scene.returns.pk})).content.decode()
    assert 'class="heat"' not in returns


def test_the_evidence_page_shows_the_records_behind_the_figure(scene: Scene, client_for: Any) -> None:
    w = scene.world
    step2 = w.moments[1]
    url = reverse("moment-evidence", kwargs={"service_id": w.service.pk, "pk": step2.pk})
    response = client_for("viewer").get(url)
    body = response.content.decode()
    sections = {s["records"].key: s for s in response.context["sections"]}
    assert sections["complaints"]["records"].total == 4
    assert sections["broken_promises"]["records"].total == 2
    assert sections["satisfaction"]["records"].total == 5
    assert all(item.hot for item in sections["broken_promises"]["records"].items)
    from servicecycle.cases.models import Case
    from servicecycle.promises.models import Promise

    for case in Case.objects.filter(moment=step2):
        assert reverse("case-detail", kwargs={"pk": case.pk}) in body
    for promise in Promise.objects.filter(moment=step2):
        assert reverse("promise-detail", kwargs={"pk": promise.pk}) in body
    assert "Nobody called back" in body  # the comment given with the low score
    assert f"/results/?moment={step2.pk}" in body
    assert f"/cases/?status=all&amp;moment={step2.pk}" in body
    assert "badness 1.00" in body
    # Step 3's five 4/5 scores are not low: counted in the figure, none listed
    step3 = reverse("moment-evidence", kwargs={"service_id": w.service.pk, "pk": w.moments[2].pk})
    satisfaction = {s["records"].key: s for s in client_for("viewer").get(step3).context["sections"]}["satisfaction"]
    assert satisfaction["records"].total == 0 and "of 5 satisfaction answers" in satisfaction["records"].explanation


def test_the_evidence_lists_are_paged_each_on_its_own(scene: Scene, client_for: Any) -> None:
    w = scene.world
    step2 = w.moments[1]
    _complaints(w, step2, 8)  # 12 in all: two pages of ten
    url = reverse("moment-evidence", kwargs={"service_id": w.service.pk, "pk": step2.pk})
    client = client_for("viewer")
    first = {s["records"].key: s for s in client.get(url).context["sections"]}["complaints"]
    assert first["pages"] == 2 and len(first["records"].items) == 10 and "complaints=2" in first["next"]
    second = {s["records"].key: s for s in client.get(url, {"complaints": 2}).context["sections"]}
    assert len(second["complaints"]["records"].items) == 2 and second["complaints"]["previous"]
    assert len(second["broken_promises"]["records"].items) == 2  # the other lists stay on their first page
    newest = {item.url for item in first["records"].items}
    assert newest.isdisjoint(item.url for item in second["complaints"]["records"].items)
    assert client.get(url, {"complaints": "x"}).status_code == 200


def test_the_evidence_page_makes_the_same_queries_whatever_the_data(
    scene: Scene, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    w = scene.world
    step2 = w.moments[1]
    url = reverse("moment-evidence", kwargs={"service_id": w.service.pk, "pk": step2.pk})
    client = client_for("viewer")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _complaints(w, step2, 15)
    _promises(w, step2, kept=3, broken=3)
    _scores(w, step2, [1, 2, 1, 2, 1, 2], comment="Still waiting")
    with django_assert_max_num_queries(len(few)):
        client.get(url)


def test_a_moment_of_another_organization_is_not_found(scene: Scene, client_for: Any) -> None:
    other = factories.world()
    url = reverse("moment-evidence", kwargs={"service_id": other.service.pk, "pk": other.moments[0].pk})
    assert client_for("viewer").get(url).status_code == 404
    # nor through one of our services
    mixed = reverse("moment-evidence", kwargs={"service_id": scene.world.service.pk, "pk": other.moments[0].pk})
    assert client_for("viewer").get(mixed).status_code == 404
