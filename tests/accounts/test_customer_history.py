"""The customer's page lists what the organization has had to do with them: cases, promises, survey responses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from servicecycle.accounts import actions as accounts
from servicecycle.accounts import customer_history
from servicecycle.accounts.models import Customer
from servicecycle.cases.models import Case
from servicecycle.core.records import Record, RecordList
from servicecycle.promises.models import Promise, State, overdue_filter
from servicecycle.surveys import actions as surveys
from servicecycle.surveys.models import Question, Response
from tests.cases import builders
from tests.factories import World
from tests.promises import builders as promise_builders
from tests.surveys import builders as survey_builders


def _marta(w: World) -> Customer:
    return accounts.create_customer(acting_user=w.admin.user, name="Marta Díaz", email="marta@example.test")


def _survey(w: World) -> tuple[Any, Question, Question]:
    survey = survey_builders.survey(w.admin, title="After your repair")
    nps = survey_builders.question(w.admin, survey, Question.Kind.NPS, "Would you recommend us?")
    csat = survey_builders.question(w.admin, survey, Question.Kind.CSAT, "How satisfied are you?")
    survey_builders.question(w.admin, survey, Question.Kind.TEXT, "Anything to add?", required=False)
    return survey_builders.open_survey(w.admin, survey), nps, csat


def _respond(
    survey: Any, nps: Question, csat: Question, customer: Customer | None, score: int, comment: str = ""
) -> Response:
    answers: list[dict[str, Any]] = [
        {"question": nps.pk, "value": score},
        {"question": csat.pk, "value": 2 if score < 7 else 5},
    ]
    if comment:
        answers.append({"question": survey.questions.get(kind=Question.Kind.TEXT).pk, "text": comment})
    return surveys.record_response(
        survey=survey, customer_id=customer.pk if customer else None, channel=Response.Channel.EMAIL, answers=answers
    )


def _sections(response: Any) -> dict[str, dict[str, Any]]:
    return {s["records"].key: s for s in response.context["sections"]}


def _page(client: Any, customer: Customer, query: str = "") -> Any:
    response = client.get(reverse("customer-detail", kwargs={"pk": customer.pk}) + query)
    assert response.status_code == 200
    return response


def test_the_page_lists_the_customers_cases_promises_and_responses_and_nobody_elses(
    world: World, client_for: Any
) -> None:
    marta = _marta(world)
    linked = builders.complaint(world, customer_id=marta.pk, subject="Tiles cracked").case
    public = builders.public_complaint(world, contact_email="MARTA@example.test", subject="Still waiting").case
    builders.public_complaint(world, contact_email="someone.else@example.test", subject="Not Marta's")
    promise = promise_builders.draft(world, customer_id=marta.pk, text="Replace the cracked tiles by Friday.")
    promise_builders.draft(world, text="Call Mia back")  # Mia's
    survey, nps, csat = _survey(world)
    unhappy = _respond(survey, nps, csat, marta, 3, "The fitter came a day late.")
    _respond(survey, nps, csat, None, 10)  # anonymous

    response = _page(client_for("viewer"), marta)
    sections = _sections(response)
    assert [s["records"].key for s in response.context["sections"]] == ["cases", "promises", "responses"]
    cases = sections["cases"]["records"]
    assert cases.total == 2
    assert {item.title for item in cases.items} == {
        f"{linked.reference} · Tiles cracked",
        f"{public.reference} · Still waiting",
    }
    assert cases.items[0].title.startswith(public.reference)  # newest first
    assert [item.url for item in sections["promises"]["records"].items] == [
        reverse("promise-detail", kwargs={"pk": promise.pk})
    ]
    [answered] = sections["responses"]["records"].items
    assert (answered.title, answered.when, answered.hot) == ("After your repair", unhappy.submitted_at, True)
    assert answered.detail == "NPS 3 · CSAT 2 of 5 · “The fitter came a day late.”"
    html = response.content.decode()
    assert "Not Marta&#x27;s" not in html and "Not Marta's" not in html and "Call Mia back" not in html
    assert 'id="records-cases"' in html and "Replace the cracked tiles by Friday." in html


def test_red_marks_what_needs_attention(world: World, client_for: Any) -> None:
    marta = _marta(world)
    late = builders.complaint(world, customer_id=marta.pk).case
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    fine = builders.complaint(world, customer_id=marta.pk).case
    Case.objects.filter(pk=fine.pk).update(due_at=timezone.now() + timedelta(hours=1))
    past = timezone.now() - timedelta(days=1)
    for text, state, recovered in (
        ("Broken one", State.BROKEN, None),
        ("Broken and repaired", State.BROKEN, timezone.now()),
        ("Confirmed and late", State.CONFIRMED, None),
        ("Draft never given", State.DRAFT, None),
    ):
        made = promise_builders.draft(world, customer_id=marta.pk, text=text)
        Promise.objects.filter(pk=made.pk).update(state=state, due_at=past, recovered_at=recovered)
    promise_builders.confirmed(world, customer_id=marta.pk, text="Due tomorrow")
    survey, nps, csat = _survey(world)
    _respond(survey, nps, csat, marta, 9)

    sections = _sections(_page(client_for("agent"), marta))
    cases = {item.url: item.hot for item in sections["cases"]["records"].items}
    assert cases == {
        reverse("case-detail", kwargs={"pk": late.pk}): True,
        reverse("case-detail", kwargs={"pk": fine.pk}): False,
    }
    promises = {item.title: (item.hot, item.state) for item in sections["promises"]["records"].items}
    assert promises == {  # the promise list's "overdue" rule: the customer is waiting past the due time
        "Broken one": (True, "Broken"),
        "Broken and repaired": (False, "Broken"),
        "Confirmed and late": (True, "Confirmed by the team · Overdue"),
        "Draft never given": (False, "Draft"),
        "Due tomorrow": (False, "Confirmed by the team"),
    }
    overdue = {p.text for p in Promise.objects.filter(overdue_filter(timezone.now()))}
    assert overdue == {text for text, (hot, _state) in promises.items() if hot}  # one rule, two places
    assert [item.hot for item in sections["responses"]["records"].items] == [False]


def test_times_are_shown_in_the_organizations_time_zone(world: World, client_for: Any) -> None:
    world.org.time_zone = "Asia/Kuala_Lumpur"
    world.org.save(update_fields=["time_zone"])
    marta = _marta(world)
    due = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)  # 17:00 in Kuala Lumpur
    promise_builders.draft(world, customer_id=marta.pk, text="Call back", due_at=due)
    html = _page(client_for("agent"), marta).content.decode()
    assert "17:00" in html and "09:00" not in html


def test_each_list_pages_on_its_own(world: World, client_for: Any) -> None:
    marta = _marta(world)
    made = [builders.complaint(world, customer_id=marta.pk, subject=f"Case {n}").case for n in range(12)]
    for n in range(3):
        promise_builders.draft(world, customer_id=marta.pk, text=f"Promise {n}")
    client = client_for("agent")

    first = _sections(_page(client, marta))
    assert (first["cases"]["records"].total, len(first["cases"]["records"].items), first["cases"]["pages"]) == (
        12,
        10,
        2,
    )
    assert first["cases"]["next"].startswith("?cases=2") and first["cases"]["next"].endswith("#records-cases")

    second = _sections(_page(client, marta, "?cases=2&promises=1"))
    assert [item.title.split(" · ")[1] for item in second["cases"]["records"].items] == ["Case 1", "Case 0"]
    assert len(second["promises"]["records"].items) == 3  # the other list keeps its own page
    assert second["cases"]["previous"] == "?cases=1&promises=1#records-cases"
    beyond = _sections(_page(client, marta, "?cases=99"))["cases"]
    assert beyond["records"].items == [] and beyond["records"].total == len(made)
    assert beyond["last"] == beyond["previous"] == "?cases=2#records-cases"  # an old link leads back
    assert 'href="?cases=2#records-cases">Go to the last page' in _page(client, marta, "?cases=99").content.decode()
    assert _page(client, marta, "?cases=abc").context["sections"][0]["number"] == 1


def test_an_empty_history_says_so(world: World, client_for: Any) -> None:
    html = _page(client_for("agent"), _marta(world)).content.decode()
    assert html.count("Nothing recorded.") == 3


def test_the_page_reads_the_same_number_of_queries_whatever_the_history(world: World, client_for: Any) -> None:
    marta = _marta(world)
    survey, nps, csat = _survey(world)
    client = client_for("agent")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            _page(client, marta)
        return len(queries)

    builders.complaint(world, customer_id=marta.pk)
    promise_builders.draft(world, customer_id=marta.pk)
    _respond(survey, nps, csat, marta, 9)
    few = count()
    for score in range(8):
        builders.complaint(world, customer_id=marta.pk)
        promise_builders.draft(world, customer_id=marta.pk)
        _respond(survey, nps, csat, marta, score)
    assert count() == few


def test_a_list_is_shown_only_to_roles_with_its_capability(
    world: World, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def managers_only(customer: Customer, offset: int, limit: int) -> RecordList:
        return RecordList(
            key="managers", title="For managers", explanation="", total=1, items=[Record(title="Secret", url="/")]
        )

    monkeypatch.setitem(
        customer_history._sources, "managers", customer_history._Source(managers_only, "dashboard.view")
    )
    marta = _marta(world)
    assert "managers" not in _sections(_page(client_for("agent"), marta))
    assert _sections(_page(client_for("manager"), marta))["managers"]["records"].items[0].title == "Secret"


def test_another_organizations_customer_is_not_found(world: World, client_for: Any) -> None:
    other = accounts.create_organization(name="Elsewhere", slug="elsewhere")
    stranger = Customer.objects.create(organization=other, name="Stranger", email="marta@example.test")
    response = client_for("agent").get(reverse("customer-detail", kwargs={"pk": stranger.pk}))
    assert response.status_code == 404


def test_a_source_whose_list_key_differs_from_its_name_is_refused(
    world: World, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def misnamed(customer: Customer, offset: int, limit: int) -> RecordList:
        return RecordList(key="other", title="Misnamed", explanation="", total=0, items=[])

    monkeypatch.setitem(customer_history._sources, "misnamed", customer_history._Source(misnamed, "view"))
    with pytest.raises(ValueError, match="misnamed"):
        customer_history.history(_marta(world), world.agent.user, pages={}, per_page=10)
