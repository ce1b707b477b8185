"""The promise pages: the front line's list, form and detail (with its self-updating part), the team's requests,
the kept-rate dashboard, scorecards, the team calendar and the customer's status page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from servicecycle.accounts import actions as accounts
from servicecycle.promises import actions
from servicecycle.promises.models import Promise, State, TeamCalendarFeed
from tests import factories
from tests.factories import World
from tests.promises import builders

pytestmark = pytest.mark.django_db


def _local(dt: Any) -> str:
    """A datetime as a datetime-local field value in the organization's zone (UTC in the test world)."""
    return timezone.localtime(dt, timezone.get_fixed_timezone(0)).strftime("%Y-%m-%dT%H:%M")


def _body(response: Any) -> str:
    return response.content.decode()


def _post_data(w: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "customer_name": "Mia Tan",
        "customer_email": "mia@example.test",
        "language": "en",
        "service": w.service.pk,
        "moment": w.moments[0].pk,
        "fulfilling_team": w.owner_team.pk,
        "text": "Move the goods to the central warehouse today",
        "due_at": _local(timezone.now() + timedelta(hours=6)),
        "idempotency_key": "form-key-1",
        "submit": "draft",
    }
    data.update(overrides)
    return data


# The list -----------------------------------------------------------------------------------------------


def test_my_list_shows_my_promises_and_flags_unconfirmed_ones_in_words(world: World, client_for: Any) -> None:
    builders.draft(world, text="Call back before noon")
    flagged = actions.give(
        acting_user=world.agent.user,
        promise=builders.draft(world, text="Deliver the tiles on Friday"),
        unconfirmed_reason="The customer was leaving",
    )
    builders.draft(world, by=world.manager, text="Somebody else's promise")
    body = _body(client_for("agent").get(reverse("promise-list")))
    assert "Call back before noon" in body
    assert "Deliver the tiles on Friday" in body
    assert "Somebody else&#x27;s promise" not in body and "Somebody else's promise" not in body
    assert "Given without the team's confirmation" in body.replace("&#x27;", "'")
    assert flagged.given_unconfirmed


def test_an_empty_list_explains_what_promises_are_for(world: World, client_for: Any) -> None:
    body = _body(client_for("agent").get(reverse("promise-list")))
    assert "You have not made any promises yet." in body
    assert reverse("promise-create") in body


def test_the_list_filters_by_state_team_due_and_text(world: World, client_for: Any) -> None:
    builders.draft(world, text="Tiles moved", due_at=timezone.now() + timedelta(hours=2))
    builders.awaiting(world, text="Paint mixed", due_at=timezone.now() + timedelta(days=10))
    builders.draft(world, text="Keys copied", fulfilling_team_id=world.other_team.pk)
    client = client_for("agent")
    url = reverse("promise-list")

    def shown(**params: Any) -> set[str]:
        body = _body(client.get(url, params))
        return {t for t in ("Tiles moved", "Paint mixed", "Keys copied") if t in body}

    assert shown() == {"Tiles moved", "Paint mixed", "Keys copied"}
    assert shown(state="awaiting") == {"Paint mixed"}
    assert shown(team=world.other_team.pk) == {"Keys copied"}
    assert shown(due="later") == {"Paint mixed"}
    assert shown(q="tiles") == {"Tiles moved"}
    assert shown(state="nonsense", due="nonsense", team="x", sort="x") == {"Tiles moved", "Paint mixed", "Keys copied"}
    body = _body(client.get(url, {"state": "kept"}))
    assert "No promise matches these filters." in body


def test_the_list_sorts_by_due_both_ways(world: World, client_for: Any) -> None:
    builders.draft(world, text="Later one", due_at=timezone.now() + timedelta(days=3))
    builders.draft(world, text="Sooner one", due_at=timezone.now() + timedelta(hours=3))
    client = client_for("agent")
    body = _body(client.get(reverse("promise-list"), {"sort": "due"}))
    assert body.index("Sooner one") < body.index("Later one")
    body = _body(client.get(reverse("promise-list"), {"sort": "-due"}))
    assert body.index("Later one") < body.index("Sooner one")


def test_the_list_shows_the_promises_to_act_on_first(world: World, client_for: Any) -> None:
    """By default: open promises (and broken ones awaiting a recovery) soonest due first, then the settled ones,
    newest first; a page of old kept promises no longer pushes this week's work to page 2."""
    old_kept = builders.draft(world, text="Kept long ago", due_at=timezone.now() + timedelta(hours=1))
    Promise.objects.filter(pk=old_kept.pk).update(state=State.KEPT, due_at=timezone.now() - timedelta(days=90))
    kept = builders.draft(world, text="Kept last week", due_at=timezone.now() + timedelta(hours=1))
    Promise.objects.filter(pk=kept.pk).update(state=State.KEPT, due_at=timezone.now() - timedelta(days=7))
    broken = builders.draft(world, text="Broken, no recovery", due_at=timezone.now() + timedelta(hours=1))
    Promise.objects.filter(pk=broken.pk).update(state=State.BROKEN, due_at=timezone.now() - timedelta(days=30))
    builders.draft(world, text="Due in three days", due_at=timezone.now() + timedelta(days=3))
    builders.draft(world, text="Due in three hours", due_at=timezone.now() + timedelta(hours=3))
    body = _body(client_for("agent").get(reverse("promise-list")))
    order = ["Broken, no recovery", "Due in three hours", "Due in three days", "Kept last week", "Kept long ago"]
    positions = [body.index(text) for text in order]
    assert positions == sorted(positions), order
    assert "open first" in body


def test_scopes_follow_the_role(world: World, client_for: Any) -> None:
    builders.draft(world, by=world.manager, text="Manager's own")
    # an agent cannot widen the list to everyone's: the scope falls back to their own
    body = _body(client_for("agent").get(reverse("promise-list"), {"scope": "all"}))
    assert "Manager" not in re.sub(r"<nav.*?</nav>", "", body, flags=re.S) or "Manager&#x27;s own" not in body
    assert "Manager&#x27;s own" not in body
    body = _body(client_for("lead").get(reverse("promise-list"), {"scope": "all"}))
    assert "Manager&#x27;s own" in body
    # the lead's team (Warehouse) must fulfil it, so it is in their team's list too
    body = _body(client_for("lead").get(reverse("promise-list"), {"scope": "team"}))
    assert "Manager&#x27;s own" in body


def _many(w: World, n: int) -> None:
    customer = builders.customer(w)
    for i in range(n):
        promise = builders.draft(w, text=f"Promise number {i}", customer_id=customer.pk, customer_name="")
        if i % 3 == 0:
            actions.give(acting_user=w.agent.user, promise=promise, unconfirmed_reason="In a hurry")


@pytest.mark.parametrize("count", [5, 60])
def test_the_list_reads_the_same_number_of_queries_whatever_its_length(
    world: World, client_for: Any, django_assert_num_queries: Any, count: int
) -> None:
    _many(world, count)
    client = client_for("agent")
    client.get(reverse("promise-list"))  # warm the session
    # session, user, staff + organization, page count, unread notifications (header bell), teams and services
    # (filter choices), page rows (promises joined with promiser, customer, service, moment, team), and the
    # session saved on every request (savepoint, update, release)
    with django_assert_num_queries(11):
        response = client.get(reverse("promise-list"))
    assert response.status_code == 200
    assert len(re.findall(r'href="/promises/\d+/"', _body(response))) == min(count, 25)


# Creating -----------------------------------------------------------------------------------------------


def test_saving_a_draft_creates_it_and_shows_its_page(world: World, client_for: Any) -> None:
    response = client_for("agent").post(reverse("promise-create"), _post_data(world))
    promise = Promise.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("promise-detail", kwargs={"pk": promise.pk})
    assert promise.state == State.DRAFT
    assert promise.promiser == world.agent
    assert promise.moment == world.moments[0]
    assert promise.customer_name == "Mia Tan"


def test_asking_the_team_from_the_form_sends_the_request(world: World, client_for: Any) -> None:
    client_for("agent").post(reverse("promise-create"), _post_data(world, submit="ask"))
    promise = Promise.objects.get()
    assert promise.state == State.AWAITING
    assert promise.confirm_due_at is not None


def test_a_double_submit_creates_one_promise(world: World, client_for: Any) -> None:
    client = client_for("agent")
    client.post(reverse("promise-create"), _post_data(world))
    client.post(reverse("promise-create"), _post_data(world))
    assert Promise.objects.count() == 1


def test_a_customer_on_file_is_chosen_by_id(world: World, client_for: Any) -> None:
    customer = builders.customer(world, name="Olga Petrova", email="olga@example.test", language="ru")
    client_for("agent").post(
        reverse("promise-create"), _post_data(world, customer=customer.pk, customer_name="", customer_email="")
    )
    assert Promise.objects.get().customer == customer


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"due_at": "2020-01-01T09:00"}, "due_at", None),
        ({"due_at": "tomorrow"}, "due_at", "Enter a valid date/time."),
        ({"customer_name": "", "customer_email": ""}, "customer_name", "Choose a customer on file or type"),
        ({"fulfilling_team": 999999}, "fulfilling_team", "Select a valid choice."),
        ({"text": ""}, "text", "This field is required."),
        ({"case_reference": "1999-00001"}, "case_reference", "No case of your organization has this reference."),
        ({"customer": 999999, "customer_name": ""}, "customer", "Select a valid choice."),
    ],
)
def test_bad_input_is_named_on_its_field_and_nothing_is_saved(
    world: World, client_for: Any, change: dict[str, Any], field: str, message: str | None
) -> None:
    response = client_for("agent").post(reverse("promise-create"), _post_data(world, **change))
    assert response.status_code == 200
    assert Promise.objects.count() == 0
    body = _body(response)
    assert f'id="id_{field}-error"' in body
    if message:
        assert message in body


def test_the_form_names_the_organization_time_zone_and_reads_times_in_it(world: World, client_for: Any) -> None:
    accounts.update_organization(
        acting_user=world.admin.user,
        organization=world.org,
        name=world.org.name,
        time_zone="Asia/Kuala_Lumpur",
        default_language="en",
        holiday_country="",
        holiday_subdivision="",
    )
    client = client_for("agent")
    assert "Asia/Kuala_Lumpur" in _body(client.get(reverse("promise-create")))
    local = timezone.localtime(timezone.now() + timedelta(days=2), timezone.get_fixed_timezone(8 * 60))
    client.post(reverse("promise-create"), _post_data(world, due_at=local.strftime("%Y-%m-%dT%H:%M")))
    promise = Promise.objects.get()
    assert abs(promise.due_at - local.replace(second=0, microsecond=0)) < timedelta(seconds=1)


def test_the_moment_choices_follow_the_service(world: World, client_for: Any) -> None:
    form = client_for("agent").get(reverse("promise-create")).context["form"]
    assert form.fields["service"].widget.attrs["hx-get"] == reverse("moment-options")
    other = factories.service(world.admin, world.other_team, "Other service")
    # a moment of another service is refused by the form
    client_for("agent").post(reverse("promise-create"), _post_data(world, service=other.pk))
    assert Promise.objects.count() == 0


def test_the_customer_search_finds_customers_of_the_organization_only(world: World, client_for: Any) -> None:
    builders.customer(world, name="Olga Petrova", email="olga@example.test")
    accounts.create_customer(acting_user=world.outsider.user, name="Olga Outsider")
    body = _body(client_for("agent").get(reverse("promise-customer-options"), {"customer_search": "olga"}))
    assert "Olga Petrova" in body
    assert "Olga Outsider" not in body


def test_viewers_cannot_open_the_form(world: World, client_for: Any) -> None:
    assert client_for("viewer").get(reverse("promise-create")).status_code == 403


# Detail, actions and the live part ----------------------------------------------------------------------


def test_a_draft_offers_asking_the_team_and_a_viewer_sees_no_actions(world: World, client_for: Any) -> None:
    promise = builders.draft(world)
    body = _body(client_for("agent").get(reverse("promise-detail", kwargs={"pk": promise.pk})))
    assert reverse("promise-request", kwargs={"pk": promise.pk}) in body
    assert "Ask Warehouse to confirm" in body
    assert "hx-trigger" not in body  # nothing to wait for
    body = _body(client_for("viewer").get(reverse("promise-detail", kwargs={"pk": promise.pk})))
    assert reverse("promise-request", kwargs={"pk": promise.pk}) not in body
    assert "your role only reads" in body


def test_the_page_of_an_awaited_promise_polls_its_live_part(world: World, client_for: Any) -> None:
    promise = builders.awaiting(world)
    body = _body(client_for("agent").get(reverse("promise-detail", kwargs={"pk": promise.pk})))
    live = reverse("promise-live", kwargs={"pk": promise.pk})
    assert f'hx-get="{live}?version={promise.version}"' in body
    assert 'hx-trigger="every 5s"' in body
    assert "updates by itself" in body


def test_the_live_part_answers_no_content_until_the_team_answers_then_the_answer_without_polling(
    world: World, client_for: Any
) -> None:
    promise = builders.awaiting(world)
    client = client_for("agent")
    live = reverse("promise-live", kwargs={"pk": promise.pk})
    unchanged = client.get(live, {"version": promise.version}, HTTP_HX_REQUEST="true")
    assert unchanged.status_code == 204
    assert unchanged.content == b""
    actions.decline(
        acting_user=world.lead.user,
        promise=promise,
        reason="The forklift is out today",
        alternative_text="Move the goods tomorrow morning",
        alternative_due_at=timezone.now() + timedelta(days=1),
    )
    changed = client.get(live, {"version": promise.version}, HTTP_HX_REQUEST="true")
    body = _body(changed)
    assert changed.status_code == 200
    assert body.lstrip().startswith("{") is False and 'id="promise-live"' in body
    assert "The forklift is out today" in body
    assert "Move the goods tomorrow morning" in body
    assert "hx-trigger" not in body  # answered: polling stops
    assert reverse("promise-accept", kwargs={"pk": promise.pk}) in body
    assert "<html" not in body  # a fragment, not a page


def test_the_live_part_of_another_organizations_promise_is_not_found(world: World, client_for: Any) -> None:
    promise = builders.awaiting(world)
    response = client_for("outsider").get(reverse("promise-live", kwargs={"pk": promise.pk}), {"version": 1})
    assert response.status_code == 404


def test_a_stale_form_gets_the_conflict_message_and_changes_nothing(world: World, client_for: Any) -> None:
    promise = builders.draft(world)
    stale = promise.version
    actions.request_confirmation(acting_user=world.agent.user, promise=promise)
    response = client_for("agent").post(
        reverse("promise-withdraw", kwargs={"pk": promise.pk}),
        {"withdraw-version": stale, "withdraw-reason": "Customer changed their mind"},
    )
    assert response.status_code == 409
    assert "Someone else changed this record while you were editing it." in _body(response)
    assert builders.fresh(promise).state == State.AWAITING


def test_giving_without_confirmation_asks_why_and_then_flags_it(world: World, client_for: Any) -> None:
    promise = builders.awaiting(world)
    client = client_for("agent")
    url = reverse("promise-give", kwargs={"pk": promise.pk})
    response = client.post(url, {"give-version": promise.version, "give-unconfirmed_reason": ""})
    assert response.status_code == 200
    assert 'id="id_give-unconfirmed_reason-error"' in _body(response)
    assert builders.fresh(promise).state == State.AWAITING
    response = client.post(url, {"give-version": promise.version, "give-unconfirmed_reason": "Leaving the shop"})
    assert response.status_code == 302
    promise = builders.fresh(promise)
    assert promise.state == State.GIVEN and promise.given_unconfirmed
    body = _body(client.get(reverse("promise-detail", kwargs={"pk": promise.pk}))).replace("&#x27;", "'")
    assert "Given without the team's confirmation" in body
    assert "Leaving the shop" in body


def test_only_the_fulfilling_team_is_offered_and_allowed_to_confirm(world: World, client_for: Any) -> None:
    promise = builders.awaiting(world)
    confirm = reverse("promise-confirm", kwargs={"pk": promise.pk})
    assert confirm not in _body(client_for("agent").get(reverse("promise-detail", kwargs={"pk": promise.pk})))
    response = client_for("agent").post(confirm, {"confirm-version": promise.version})
    assert response.status_code == 403
    assert builders.fresh(promise).state == State.AWAITING
    assert confirm in _body(client_for("lead").get(reverse("promise-detail", kwargs={"pk": promise.pk})))
    response = client_for("lead").post(confirm, {"confirm-version": promise.version})
    assert response.status_code == 302
    assert builders.fresh(promise).state == State.CONFIRMED


def test_the_agent_accepts_the_alternative_gives_it_and_marks_it_kept(world: World, client_for: Any) -> None:
    promise = builders.awaiting(world)
    tomorrow = timezone.now() + timedelta(days=1)
    actions.decline(
        acting_user=world.lead.user,
        promise=promise,
        reason="Not today",
        alternative_text="Tomorrow at nine",
        alternative_due_at=tomorrow,
    )
    client = client_for("agent")
    promise = builders.fresh(promise)
    client.post(reverse("promise-accept", kwargs={"pk": promise.pk}), {"accept-version": promise.version})
    promise = builders.fresh(promise)
    assert promise.state == State.CONFIRMED and promise.text == "Tomorrow at nine"
    client.post(reverse("promise-give", kwargs={"pk": promise.pk}), {"give-version": promise.version})
    promise = builders.fresh(promise)
    assert promise.state == State.GIVEN and not promise.given_unconfirmed
    body = _body(client.get(reverse("promise-detail", kwargs={"pk": promise.pk})))
    assert "/p/" in body  # the customer's status link, to copy
    client.post(reverse("promise-kept", kwargs={"pk": promise.pk}), {"kept-version": promise.version})
    assert builders.fresh(promise).state == State.KEPT


def test_a_broken_promise_offers_a_recovery_and_checks_its_fields(world: World, client_for: Any) -> None:
    promise = builders.given(world, due_at=timezone.now() + timedelta(hours=1))
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        actions.handle_promise_deadline(promise_id=promise.pk)
        promise = builders.fresh(promise)
        assert promise.state == State.BROKEN
        client = client_for("agent")
        url = reverse("promise-recover", kwargs={"pk": promise.pk})
        body = _body(client.get(reverse("promise-detail", kwargs={"pk": promise.pk})))
        assert url in body
        response = client.post(url, {"recover-version": promise.version, "recover-recovery": "new_date"})
        assert 'id="id_recover-new_due_at-error"' in _body(response)
        new_date = _local(timezone.now() + timedelta(days=1))
        response = client.post(
            url,
            {
                "recover-version": promise.version,
                "recover-recovery": "new_date",
                "recover-new_due_at": new_date,
                "recover-note": "We apologised and agreed on tomorrow",
            },
        )
        assert response.status_code == 302
        promise = builders.fresh(promise)
        assert promise.recovered_at is not None and promise.recovery_due_at is not None
        body = _body(client.get(reverse("promise-detail", kwargs={"pk": promise.pk})))
        assert "New date agreed with the customer" in body
        assert url not in body


def test_acting_on_a_settled_promise_says_why(world: World, client_for: Any) -> None:
    promise = builders.draft(world)
    actions.withdraw(acting_user=world.agent.user, promise=promise, reason="No longer needed")
    promise = builders.fresh(promise)
    response = client_for("lead").post(
        reverse("promise-confirm", kwargs={"pk": promise.pk}), {"confirm-version": promise.version}
    )
    assert response.status_code == 200
    assert "Withdrawn" in _body(response)
    assert builders.fresh(promise).state == State.WITHDRAWN


# The team's requests ------------------------------------------------------------------------------------


def test_the_team_sees_its_requests_with_the_answer_deadline_and_declines_from_there(
    world: World, client_for: Any
) -> None:
    promise = builders.awaiting(world, text="Move the goods to the central warehouse today")
    builders.awaiting(world, text="Not for the warehouse", fulfilling_team_id=world.other_team.pk)
    client = client_for("lead")
    body = _body(client.get(reverse("promise-requests")))
    assert "Move the goods to the central warehouse today" in body
    assert "Not for the warehouse" not in body
    assert "answer by" in body
    response = client.post(
        reverse("promise-decline", kwargs={"pk": promise.pk}),
        {
            "decline-version": promise.version,
            "decline-reason": "No truck today",
            "decline-alternative_text": "Tomorrow 09:00",
            "decline-alternative_due_at": _local(timezone.now() + timedelta(days=1)),
            "back": "requests",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("promise-requests")
    assert builders.fresh(promise).state == State.DECLINED


HX = {"HTTP_HX_REQUEST": "true"}


def test_confirming_from_the_requests_page_answers_in_place(world: World, client_for: Any) -> None:
    """The page's htmx form gets the request's card back, saying it was confirmed, and the new waiting count."""
    promise = builders.awaiting(world, text="Move the goods to the central warehouse today")
    builders.awaiting(world, text="Another request")
    client = client_for("lead")
    response = client.post(
        reverse("promise-confirm", kwargs={"pk": promise.pk}),
        {"confirm-version": promise.version, "back": "requests"},
        **HX,
    )
    assert response.status_code == 200
    body = _body(response)
    assert f'<article class="promise-request answered" id="request-{promise.pk}">' in body
    assert "message-success" in body and "Confirmed." in body
    assert '<span class="badge" id="requests-waiting" hx-swap-oob="true">1</span>' in body
    assert "<html" not in body  # a fragment, not the page
    assert builders.fresh(promise).state == State.CONFIRMED
    # the message was shown in the card: the next page does not repeat it
    assert "Confirmed." not in _body(client.get(reverse("promise-requests")))


def test_a_decline_without_a_reason_comes_back_in_its_card_with_the_error(world: World, client_for: Any) -> None:
    promise = builders.awaiting(world, text="Move the goods to the central warehouse today")
    response = client_for("lead").post(
        reverse("promise-decline", kwargs={"pk": promise.pk}),
        {"decline-version": promise.version, "decline-reason": "", "back": "requests"},
        **HX,
    )
    assert response.status_code == 200  # htmx swaps only 2xx answers
    body = _body(response)
    assert body.lstrip().startswith(f'<article class="promise-request" id="request-{promise.pk}">')
    assert '<details class="action-details" open>' in body
    assert f'id="id_{promise.pk}_decline-reason"' in body  # the same ids as the card had on the list
    assert "This field is required." in body
    assert builders.fresh(promise).state == State.AWAITING


def test_a_request_answered_meanwhile_says_so_in_its_card_without_the_buttons(world: World, client_for: Any) -> None:
    promise = builders.awaiting(world, text="Move the goods to the central warehouse today")
    version = promise.version
    actions.confirm(acting_user=world.manager.user, promise=promise, expected_version=version)
    response = client_for("lead").post(
        reverse("promise-confirm", kwargs={"pk": promise.pk}),
        {"confirm-version": version, "back": "requests"},
        **HX,
    )
    assert response.status_code == 200
    body = _body(response)
    assert 'role="alert"' in body
    assert "promise-confirm" not in body and "Confirm: we will do it" not in body
    assert reverse("promise-detail", kwargs={"pk": promise.pk}) in body


def test_an_action_on_the_promise_page_swaps_its_live_part(world: World, client_for: Any) -> None:
    promise = builders.draft(world, text="Call back before noon")
    client = client_for("agent")
    response = client.post(
        reverse("promise-request", kwargs={"pk": promise.pk}), {"request-version": promise.version}, **HX
    )
    assert response.status_code == 200
    body = _body(response)
    assert body.lstrip().startswith('<div id="promise-live"')
    assert 'data-state="awaiting"' in body and "hx-trigger=" in body  # now polls for the team's answer
    assert "message-success" in body and "The team was asked to confirm." in body
    assert builders.fresh(promise).state == State.AWAITING
    # a stale form: the live part again, with the reason, nothing changed; every action form posts through htmx
    stale = client.post(
        reverse("promise-request", kwargs={"pk": promise.pk}), {"request-version": promise.version}, **HX
    )
    assert stale.status_code == 200
    stale_body = _body(stale)
    assert stale_body.lstrip().startswith('<div id="promise-live"') and 'role="alert"' in stale_body
    forms = re.findall(r"<form [^>]*>", stale_body)
    assert forms and all('hx-target="#promise-live"' in f for f in forms)


def test_the_decline_button_is_the_verb_not_the_life_cycle_stage(world: World, client_for: Any) -> None:
    """ "Decline" is also the name of a life-cycle stage (a noun: Declive, Спад); the button has its own message."""
    from django.conf import settings
    from django.utils import translation

    builders.awaiting(world, text="Move the goods to the central warehouse today")
    client = client_for("lead")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    body = _body(client.get(reverse("promise-requests")))
    buttons = re.findall(r'<button type="submit" class="secondary">([^<]*)</button>', body)
    with translation.override("es"):
        stage, verb = translation.gettext("Decline"), translation.pgettext("promise request", "Decline")
    assert stage == "Declive"
    assert verb in buttons and stage not in buttons


def test_a_long_request_queue_comes_a_page_at_a_time_oldest_first(world: World, client_for: Any) -> None:
    for i in range(27):
        builders.awaiting(world, text=f"Request number {i:02d}")
    client = client_for("lead")
    first = _body(client.get(reverse("promise-requests")))
    assert first.count('class="promise-request"') == 25
    assert "Request number 00" in first and "Request number 24" in first and "Request number 25" not in first
    assert '<span class="badge" id="requests-waiting">27</span>' in first and "Page 1 of 2" in first
    second = _body(client.get(reverse("promise-requests") + "?page=2"))
    assert second.count('class="promise-request"') == 2 and "Request number 26" in second


def test_the_requests_page_lists_at_risk_and_broken_promises_of_my_teams(world: World, client_for: Any) -> None:
    soon = builders.given(world, text="Due very soon", due_at=timezone.now() + timedelta(minutes=30))
    body = _body(client_for("lead").get(reverse("promise-requests")))
    assert "Due very soon" in body and "at risk" in body
    assert soon.risk_at is not None


# Measures -----------------------------------------------------------------------------------------------


def _resolved(w: World, kept: int, broken: int) -> None:
    for i in range(kept + broken):
        promise = builders.given(w, text=f"Resolved {i}", due_at=timezone.now() + timedelta(hours=1))
        if i < kept:
            actions.mark_kept(acting_user=w.agent.user, promise=promise)
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        for promise in Promise.objects.filter(state=State.GIVEN):
            actions.handle_promise_deadline(promise_id=promise.pk)


def test_the_dashboard_shows_rates_with_their_counts(world: World, client_for: Any) -> None:
    _resolved(world, kept=4, broken=2)
    body = _body(client_for("manager").get(reverse("promise-dashboard")))
    assert "67%" in body
    for title in ("By team", "By staff member", "By service", "By moment of truth"):
        assert title in body
    assert reverse("staff-scorecard", kwargs={"pk": world.agent.pk}) in body


def test_a_rate_on_too_few_promises_is_not_enough_data(world: World, client_for: Any) -> None:
    _resolved(world, kept=3, broken=1)
    body = _body(client_for("manager").get(reverse("promise-dashboard")))
    assert "not enough data" in body
    assert ">75%<" not in body.replace("<strong>", ">").replace("</strong>", "<")


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_the_dashboard_is_for_leads_and_managers(world: World, client_for: Any, role: str) -> None:
    assert client_for(role).get(reverse("promise-dashboard")).status_code == 403


@pytest.mark.parametrize("count", [5, 60])
def test_the_dashboard_reads_one_query_per_table(
    world: World, client_for: Any, django_assert_num_queries: Any, count: int
) -> None:
    _many(world, count)
    client = client_for("manager")
    client.get(reverse("promise-dashboard"))
    # session, user, staff + organization, 4 kept-rate tables (one aggregate each), people whose scorecards
    # the viewer may open, unread notifications, and the session saved (savepoint, update, release)
    with django_assert_num_queries(12):
        assert client.get(reverse("promise-dashboard")).status_code == 200


def test_staff_see_their_own_scorecard_only(world: World, client_for: Any) -> None:
    own = reverse("staff-scorecard", kwargs={"pk": world.agent.pk})
    other = reverse("staff-scorecard", kwargs={"pk": world.manager.pk})
    client = client_for("agent")
    assert client.get(own).status_code == 200
    assert client.get(other).status_code == 403


def test_a_lead_sees_the_scorecards_of_the_team_and_managers_everyone(world: World, client_for: Any) -> None:
    member = factories.staff(world.org, "agent", [world.owner_team])
    assert client_for("lead").get(reverse("staff-scorecard", kwargs={"pk": member.pk})).status_code == 200
    assert client_for("lead").get(reverse("staff-scorecard", kwargs={"pk": world.agent.pk})).status_code == 403
    assert client_for("manager").get(reverse("staff-scorecard", kwargs={"pk": world.agent.pk})).status_code == 200
    assert client_for("outsider").get(reverse("staff-scorecard", kwargs={"pk": world.agent.pk})).status_code == 404


def test_a_scorecard_shows_counts_and_holds_back_the_rate_below_five(world: World, client_for: Any) -> None:
    _resolved(world, kept=2, broken=1)
    body = _body(client_for("agent").get(reverse("staff-scorecard", kwargs={"pk": world.agent.pk})))
    assert "not enough data" in body
    assert "Kept rate: 2 kept of 3 resolved" in body
    _resolved(world, kept=3, broken=0)
    body = _body(client_for("agent").get(reverse("staff-scorecard", kwargs={"pk": world.agent.pk})))
    assert "83%" in body  # 5 of 6


# Team calendar ------------------------------------------------------------------------------------------


def test_the_calendar_shows_the_team_promises_on_their_day(world: World, client_for: Any) -> None:
    promise = builders.awaiting(world, text="Pallets to the north yard", due_at=timezone.now() + timedelta(days=2))
    builders.awaiting(world, text="Counter job", fulfilling_team_id=world.other_team.pk)
    body = _body(client_for("agent").get(reverse("team-promise-calendar", kwargs={"pk": world.owner_team.pk})))
    assert "Pallets to the north yard" in body
    assert "Counter job" not in body
    assert f'datetime="{timezone.localtime(promise.due_at).date().isoformat()}"' in body
    assert "not confirmed" in body


def test_the_feed_link_is_shown_once_and_works(world: World, client_for: Any) -> None:
    builders.awaiting(world, text="Pallets to the north yard")
    client = client_for("lead")
    response = client.post(reverse("team-calendar-token", kwargs={"pk": world.owner_team.pk}))
    assert response.status_code == 200
    link = re.search(r'value="(http[^"]+\.ics)"', _body(response))
    assert link is not None
    assert TeamCalendarFeed.objects.filter(team=world.owner_team).exists()
    later = _body(client.get(reverse("team-promise-calendar", kwargs={"pk": world.owner_team.pk})))
    assert link.group(1) not in later
    assert "issue a new one" in later
    feed = Client().get(link.group(1).split("testserver", 1)[1])
    assert feed.status_code == 200
    assert b"Pallets to the north yard" in feed.content


def test_agents_cannot_issue_the_feed_link(world: World, client_for: Any) -> None:
    response = client_for("agent").post(reverse("team-calendar-token", kwargs={"pk": world.owner_team.pk}))
    assert response.status_code == 403
    assert not TeamCalendarFeed.objects.exists()


# The customer's pages -----------------------------------------------------------------------------------


def test_the_status_page_says_what_was_promised_in_the_customer_language(world: World) -> None:
    customer = builders.customer(world, language="ru")
    promise = builders.given(world, customer_id=customer.pk, customer_name="", text="Доставим плитку в пятницу")
    response = Client().get(reverse("promise-status", kwargs={"token": actions.status_token(promise)}))
    body = _body(response)
    assert response.status_code == 200
    assert '<html lang="ru"' in body
    assert "Доставим плитку в пятницу" in body
    assert response["Cache-Control"] == "no-store"
    english = _body(
        Client().get(reverse("promise-status", kwargs={"token": actions.status_token(promise)}), {"lang": "en"})
    )
    assert "We are on it and will have it done by the date below." in english


def test_a_forged_status_token_is_not_found(world: World) -> None:
    builders.given(world)
    assert Client().get(reverse("promise-status", kwargs={"token": "forged-token"})).status_code == 404


def test_the_status_page_is_rate_limited(world: World, one_rate_window: None) -> None:
    client = Client()
    url = reverse("promise-status", kwargs={"token": "guess"})
    statuses = [client.get(url).status_code for _ in range(31)]
    assert statuses[:30] == [404] * 30
    assert statuses[30] == 429


def test_the_case_status_page_lists_what_was_promised_on_the_case(world: World) -> None:
    from tests.cases import builders as cases

    case = cases.complaint(world).case
    builders.given(world, case_id=case.pk, text="Replace the crushed box by Friday")
    builders.draft(world, case_id=case.pk, text="Internal draft, not told yet")
    html = Template("{% load promises %}{% case_promises case %}").render(Context({"case": case}))
    assert "Replace the crushed box by Friday" in html
    assert "Internal draft" not in html
    assert "We are on it" in html
