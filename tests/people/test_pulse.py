"""The internal staff pulse: anonymous answers, one per member and manager, results only from 3 answers."""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest
from django.urls import reverse
from scipy import stats

from servicecycle.core.errors import Conflict, ValidationFailed
from servicecycle.core.models import AuditEvent
from servicecycle.people import actions, queries
from servicecycle.people.content import PULSE_QUESTIONS
from servicecycle.people.models import PulseAnswer, PulseParticipation
from tests import factories
from tests.factories import World
from tests.people import builders


def _scores(*values: int) -> dict[str, int]:
    """Scores for the six questions: the values given, the last repeated."""
    padded = list(values) + [values[-1]] * (len(PULSE_QUESTIONS) - len(values))
    return {q.key: v for q, v in zip(PULSE_QUESTIONS, padded, strict=True)}


def _answer(pulse: Any, who: Any, manager: Any, *values: int) -> None:
    actions.answer_round(acting_user=who.user, pulse=pulse, manager_id=manager.pk, scores=_scores(*values))


def test_an_answer_names_no_respondent_and_each_member_answers_once(world: World) -> None:
    pulse = builders.pulse(world)
    _answer(pulse, world.agent, world.lead_other, 4)
    answer_fields = {f.name for f in PulseAnswer._meta.get_fields()}
    assert answer_fields == {"id", "round", "manager", *(q.key for q in PULSE_QUESTIONS)}  # no person, no time
    assert PulseParticipation.objects.filter(respondent=world.agent).count() == 1
    with pytest.raises(Conflict) as twice:
        _answer(pulse, world.agent, world.lead_other, 1)
    assert twice.value.message == f"You have already rated {world.lead_other} in this round."
    assert PulseAnswer.objects.count() == 1
    _answer(pulse, world.agent, world.manager, 3)  # another manager: fine
    assert AuditEvent.objects.filter(verb="pulse.answered").count() == 2


@pytest.mark.parametrize(
    ("manager", "scores", "field"),
    [
        ("lead_other", _scores(0), "q1"),
        ("lead_other", _scores(4, 6), "q2"),
        ("lead_other", {k: v for k, v in _scores(4).items() if k != "q6"}, "q6"),
        ("agent", _scores(4), "manager"),  # agents are not rated
        ("self", _scores(4), "manager"),
        ("outsider", _scores(4), "manager"),
    ],
)
def test_bad_answers_are_refused_and_nothing_saved(
    world: World, manager: str, scores: dict[str, Any], field: str
) -> None:
    pulse = builders.pulse(world)
    target = world.lead if manager == "self" else world.by_role[manager]
    with pytest.raises(ValidationFailed) as caught:
        actions.answer_round(acting_user=world.lead.user, pulse=pulse, manager_id=target.pk, scores=scores)
    assert field in caught.value.errors
    assert not PulseAnswer.objects.exists() and not PulseParticipation.objects.exists()


def test_results_show_only_from_three_answers(world: World) -> None:
    pulse = builders.pulse(world)
    members = [world.agent, world.lead, world.lead_other] + [
        factories.staff(world.org, "agent", [world.other_team]) for _ in range(2)
    ]
    _answer(pulse, members[0], world.manager, 5, 4)
    _answer(pulse, members[1], world.manager, 3, 4)
    (result,) = queries.pulse_results(pulse)
    assert (result.answers, result.shown, result.questions, result.overall) == (2, False, [], None)
    _answer(pulse, members[2], world.manager, 4, 2)
    (result,) = queries.pulse_results(pulse)
    assert result.answers == 3 and result.shown
    q1 = result.questions[0]
    assert q1.mean == pytest.approx(4.0)  # (5 + 3 + 4) / 3
    assert q1.sd == pytest.approx(1.0)
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)  # 4.303 / 1.732 = 2.48: clipped to the scale
    assert (q1.low, q1.high) == (pytest.approx(max(1.0, 4 - half)), pytest.approx(min(5.0, 4 + half)))
    q2 = result.questions[1]
    assert q2.mean == pytest.approx(statistics.fmean([4, 4, 2]))
    assert q2.sd == pytest.approx(statistics.stdev([4, 4, 2]))
    values = [5, 4, 4, 4, 4, 4, 3, 4, 4, 4, 4, 4, 4, 2, 2, 2, 2, 2]
    assert result.overall == pytest.approx(statistics.fmean(values))


def test_the_results_page_hides_small_groups_and_leads_see_only_their_own(world: World, client_for: Any) -> None:
    pulse = builders.pulse(world)
    extra = [factories.staff(world.org, "agent", [world.owner_team]) for _ in range(3)]
    for person in extra:
        _answer(pulse, person, world.lead, 5)
    _answer(pulse, world.agent, world.lead_other, 1)
    url = reverse("people-pulse-detail", args=[pulse.pk])
    manager_page = client_for("manager").get(url).content.decode()
    assert "Hidden until there are at least 3 answers." in manager_page
    assert manager_page.count("pulse-result") == 2
    lead_page = client_for("lead").get(url).content.decode()
    assert str(world.lead) in lead_page and str(world.lead_other) not in lead_page
    assert "5.00" in lead_page
    other_page = client_for("lead_other").get(url).content.decode()
    assert "Hidden until there are at least 3 answers." in other_page and "1.00" not in other_page
    assert client_for("agent").get(url).status_code == 403


def test_answering_through_the_page(world: World, client_for: Any) -> None:
    pulse = builders.pulse(world)
    client = client_for("agent")
    url = reverse("people-pulse-answer", args=[pulse.pk])
    page = client.get(url).content.decode()
    assert str(world.lead_other) in page  # the lead of the agent's team is offered
    bad = client.post(url, {"manager": world.lead_other.pk, **_scores(4), "q3": "9"})
    assert bad.status_code == 200 and not PulseAnswer.objects.exists()
    ok = client.post(url, {"manager": world.lead_other.pk, **_scores(4)})
    assert ok.status_code == 302
    assert PulseAnswer.objects.get().manager_id == world.lead_other.pk
    again = client.post(url, {"manager": world.lead_other.pk, **_scores(2)})
    assert "You have already rated" in again.content.decode()
    assert PulseAnswer.objects.count() == 1


def test_rateable_managers_put_the_own_teams_lead_first(world: World) -> None:
    names = [s.pk for s in queries.rateable_managers(world.agent)]
    assert names[0] == world.lead_other.pk
    assert world.agent.pk not in names and world.viewer.pk not in names
    assert set(names) == {world.lead_other.pk, world.lead.pk, world.manager.pk, world.admin.pk}
