"""The staff case pages: inbox (filters, sorting, pages, saved views, bulk, inline), the case page and its steps,
recording a case by hand, and the configuration pages."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from servicecycle.cases import actions
from servicecycle.cases.models import Case, CaseMessage, Category, ReplyTemplate, SavedView, SlaPolicy
from servicecycle.core.models import AuditEvent
from tests.cases import builders
from tests.cases.builders import complaint, fresh
from tests.factories import World

INBOX = "/cases/"


def _refs(response: Any) -> list[str]:
    return re.findall(r"<strong id=\"ref-\d+\">(C-\d{4}-\d{5})</strong>", response.content.decode())


def _step(case: Case, step: str) -> str:
    return reverse("case-step", kwargs={"pk": case.pk, "step": step})


# Inbox ----------------------------------------------------------------------------------------------------------


def test_inbox_lists_open_cases_of_the_organization_only(world: World, client_for: Any) -> None:
    open_case = complaint(world).case
    closed_case = builders.closed(world, complaint(world, subject="Done already").case)
    response = client_for("viewer").get(INBOX)
    assert response.status_code == 200
    assert _refs(response) == [open_case.reference]
    assert closed_case.reference in _refs(client_for("viewer").get(INBOX + "?status=all"))
    assert _refs(client_for("outsider").get(INBOX)) == []
    assert "No open cases" in client_for("outsider").get(INBOX).content.decode()


def test_inbox_filters_by_assignee_me_and_unassigned_kind_priority_and_team(world: World, client_for: Any) -> None:
    mine = builders.to_investigating(world, complaint(world, subject="Mine").case)  # assigned to the agent
    loose = complaint(world, subject="Loose", kind="question").case
    urgent = actions.set_priority(acting_user=world.agent.user, case=complaint(world).case, priority="urgent")
    agent = client_for("agent")
    assert _refs(agent.get(INBOX + "?assignee=me")) == [mine.reference]
    assert mine.reference not in _refs(agent.get(INBOX + "?assignee=unassigned"))
    assert loose.reference in _refs(agent.get(INBOX + "?assignee=unassigned"))
    assert _refs(agent.get(INBOX + "?kind=question")) == [loose.reference]
    assert _refs(agent.get(INBOX + "?priority=urgent")) == [urgent.reference]
    assert _refs(agent.get(INBOX + f"?team={world.owner_team.pk}")) == [mine.reference]
    assert mine.reference not in _refs(agent.get(INBOX + "?team=none"))
    assert _refs(agent.get(INBOX + f"?assignee={world.agent.pk}&status=investigating")) == [mine.reference]
    assert _refs(agent.get(INBOX + "?channel=hotline")) == []
    # nonsense values are ignored, never a 500
    assert agent.get(INBOX + "?assignee=drop&team=x'&status=nope&page=-3&sort=evil").status_code == 200


def test_inbox_filters_by_service_moment_and_sla_state(world: World, client_for: Any) -> None:
    builders.policy(world.admin, acknowledgement=60)
    at_moment = complaint(world, moment_id=world.moments[0].pk).case
    other = complaint(world).case
    client = client_for("agent")
    assert _refs(client.get(INBOX + f"?moment={world.moments[0].pk}")) == [at_moment.reference]
    assert set(_refs(client.get(INBOX + f"?service={world.service.pk}"))) == {at_moment.reference, other.reference}
    assert set(_refs(client.get(INBOX + "?sla=on_track"))) == {at_moment.reference, other.reference}
    assert _refs(client.get(INBOX + "?sla=breached")) == []


def test_inbox_sorts_by_priority_and_received(world: World, client_for: Any) -> None:
    first = complaint(world, subject="first").case
    second = complaint(world, subject="second").case
    actions.set_priority(acting_user=world.agent.user, case=first, priority="high")
    client = client_for("agent")
    assert _refs(client.get(INBOX)) == [second.reference, first.reference]
    assert _refs(client.get(INBOX + "?sort=oldest")) == [first.reference, second.reference]
    assert _refs(client.get(INBOX + "?sort=priority")) == [first.reference, second.reference]
    assert client.get(INBOX + "?sort=due").status_code == 200


def test_inbox_pages_through_cases(world: World, client_for: Any) -> None:
    made = [complaint(world, subject=f"n{i}").case.reference for i in range(27)]
    client = client_for("agent")
    first = client.get(INBOX)
    assert len(_refs(first)) == 25
    assert "Page 1 of 2" in first.content.decode()
    assert "27 cases match" in first.content.decode()
    second = client.get(INBOX + "?page=2")
    assert _refs(second) == list(reversed(made))[25:]
    assert _refs(client.get(INBOX + "?page=99")) == _refs(second)  # past the end shows the last page


def test_inbox_query_count_does_not_grow_with_the_cases(
    world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for("agent")
    client.get(INBOX)  # the calendar (business time left) is read once, then kept by the process (cases.sla)
    counts = []
    for total in (5, 60):
        for i in range(total - Case.objects.count()):
            complaint(world, subject=f"bulk {i}", customer_id=None)
        # session, user, staff + organization, unread notifications (header); capped count, the page's rows;
        # teams, workers, services, moments (filters, bulk and inline controls); saved views; 3 for the session
        # save (savepoint, update, release)
        with django_assert_num_queries(14) as captured:
            response = client.get(INBOX + "?sort=due")
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_htmx_filter_answers_only_the_results(world: World, client_for: Any) -> None:
    case = complaint(world).case
    response = client_for("agent").get(INBOX, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="inbox-results")
    body = response.content.decode()
    assert case.reference in body
    assert "<html" not in body and 'id="inbox-results"' in body


# Saved views ----------------------------------------------------------------------------------------------------


def test_saved_views_are_private_or_shared_and_only_the_owner_deletes(world: World, client_for: Any) -> None:
    agent, lead = client_for("agent"), client_for("lead")
    response = agent.post(
        reverse("case-view-save"), {"name": "My urgent", "query": "priority=urgent&assignee=me&bogus=1"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/cases/?priority=urgent&assignee=me"
    agent.post(reverse("case-view-save"), {"name": "Team queue", "query": "team=none", "shared": "on"})
    mine = agent.get(INBOX).content.decode()
    assert "My urgent" in mine and "Team queue" in mine
    theirs = lead.get(INBOX).content.decode()
    assert "Team queue" in theirs and "My urgent" not in theirs
    duplicate = agent.post(reverse("case-view-save"), {"name": "my URGENT", "query": ""}, follow=True)
    assert "You already have a view with this name." in duplicate.content.decode()
    shared = SavedView.objects.get(name="Team queue")
    assert lead.post(reverse("case-view-delete", kwargs={"pk": shared.pk})).status_code == 404
    assert agent.post(reverse("case-view-delete", kwargs={"pk": shared.pk})).status_code == 302
    assert not SavedView.objects.filter(pk=shared.pk).exists()
    assert AuditEvent.objects.filter(verb="saved_view.deleted").count() == 1
    assert client_for("outsider").get(INBOX).content.decode().count("My urgent") == 0


# Bulk and inline ----------------------------------------------------------------------------------------------------


def test_bulk_assign_reports_each_row(world: World, client_for: Any) -> None:
    a, b = complaint(world).case, complaint(world).case
    done = builders.closed(world, complaint(world).case)
    foreign_case = actions.create_case(
        acting_user=world.outsider.user,
        kind="question",
        channel="email",
        service_id=__import__("tests.factories", fromlist=["service"])
        .service(world.outsider, __import__("tests.factories", fromlist=["team"]).team(world.outsider))
        .pk,
        description="Other organization",
    ).case
    response = client_for("lead").post(
        reverse("case-bulk"),
        {"case": [a.pk, b.pk, done.pk, foreign_case.pk], "operation": "assign", "assignee": world.agent.pk},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "2 cases updated" in body and "2 cases were not changed" in body
    assert "so it cannot be assigned now" in body
    assert "No such case in your organization." in body
    assert fresh(a).assignee_id == world.agent.pk and fresh(b).assignee_id == world.agent.pk
    assert fresh(foreign_case).assignee_id is None


def test_bulk_close_closes_light_kinds_and_explains_complaints(world: World, client_for: Any) -> None:
    suggestion = complaint(world, kind="suggestion").case
    question = complaint(world, kind="question").case
    open_complaint = complaint(world).case
    response = client_for("agent").post(
        reverse("case-bulk"), {"case": [suggestion.pk, question.pk, open_complaint.pk], "operation": "close"}
    )
    body = response.content.decode()
    assert fresh(suggestion).status == fresh(question).status == Case.Status.CLOSED
    assert fresh(open_complaint).status == Case.Status.RECEIVED
    assert "so it cannot be closed now" in body


def test_bulk_without_selection_or_by_a_viewer(world: World, client_for: Any) -> None:
    response = client_for("agent").post(reverse("case-bulk"), {"operation": "assign"}, follow=True)
    assert "Select at least one case." in response.content.decode()
    case = complaint(world).case
    viewer = client_for("viewer").post(
        reverse("case-bulk"), {"case": [case.pk], "operation": "assign", "assignee": world.agent.pk}
    )
    assert viewer.status_code == 403
    assert fresh(case).assignee_id is None


def test_inline_priority_and_assignee_rerender_the_row(world: World, client_for: Any) -> None:
    case = complaint(world).case
    client = client_for("agent")
    url = reverse("case-inline", kwargs={"pk": case.pk})
    response = client.post(
        url, {"field": "priority", "value": "urgent", "version": case.version}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="case-row-{case.pk}"')
    assert 'value="urgent" selected' in body
    case = fresh(case)
    assert case.priority == "urgent"
    response = client.post(
        url, {"field": "assignee", "value": world.lead.pk, "version": case.version}, HTTP_HX_REQUEST="true"
    )
    assert fresh(case).assignee_id == world.lead.pk
    # a stale version: the row comes back with the message and the other person's value, nothing overwritten
    stale = client.post(url, {"field": "priority", "value": "low", "version": case.version}, HTTP_HX_REQUEST="true")
    assert "Someone else changed this record" in stale.content.decode()
    assert fresh(case).priority == "urgent"
    # without JavaScript the same form posts and comes back to the inbox
    plain = client.post(
        url, {"field": "priority", "value": "low", "version": fresh(case).version, "next": "/cases/?q=x"}
    )
    assert plain.status_code == 302 and plain["Location"] == "/cases/?q=x"
    assert fresh(case).priority == "low"
    assert AuditEvent.objects.filter(verb="case.priority_changed", object_id=case.pk).count() == 2


# Case page --------------------------------------------------------------------------------------------------------


def test_case_page_shows_timeline_with_internal_notes_apart(world: World, client_for: Any) -> None:
    case = complaint(world).case
    actions.add_message(acting_user=world.agent.user, case=case, kind="internal_note", body="Check the courier log")
    actions.add_message(acting_user=world.agent.user, case=fresh(case), kind="public_reply", body="We are on it")
    body = client_for("viewer").get(reverse("case-detail", kwargs={"pk": case.pk})).content.decode()
    assert 'class="msg msg-internal_note"' in body and "Check the courier log" in body
    assert 'class="msg msg-public_reply"' in body and "not shown to the customer" in body
    assert "Audit trail" in body and "received the case" in body
    assert "Next steps" not in body  # a viewer reads only
    assert client_for("outsider").get(reverse("case-detail", kwargs={"pk": case.pk})).status_code == 404


def test_case_page_offers_only_the_steps_of_the_state(world: World, client_for: Any) -> None:
    case = complaint(world).case
    client = client_for("agent")
    body = client.get(reverse("case-detail", kwargs={"pk": case.pk})).content.decode()
    assert _step(case, "acknowledge") in body
    assert _step(case, "assess") not in body and _step(case, "close") not in body
    case = builders.to_communicated(world, case)
    body = client.get(reverse("case-detail", kwargs={"pk": case.pk})).content.decode()
    assert _step(case, "close") in body and _step(case, "acknowledge") not in body
    assert _step(case, "assign") not in body


def test_full_handling_through_the_page(world: World, client_for: Any) -> None:
    category = actions.create_category(acting_user=world.admin.user, name="Late delivery")
    case = complaint(world).case
    client = client_for("agent")

    def post(step: str, **data: Any) -> Any:
        current = fresh(case)
        payload = {f"{step}-{k}": v for k, v in data.items()}
        payload[f"{step}-version"] = current.version
        return client.post(_step(current, step), payload)

    assert post("acknowledge").status_code == 302
    assert (
        post(
            "assess",
            severity="major",
            priority="high",
            category=category.pk,
            service=world.service.pk,
            moment=world.moments[1].pk,
        ).status_code
        == 302
    )
    assessed = fresh(case)
    assert (assessed.severity, assessed.priority, assessed.category_id, assessed.moment_id) == (
        "major",
        "high",
        category.pk,
        world.moments[1].pk,
    )
    assert post("assign", assignee=world.agent.pk, team=world.owner_team.pk).status_code == 302
    assert post("add_message", kind="internal_note", body="Courier admits it").status_code == 302
    assert post("add_message", kind="public_reply", body="Sorry, we are checking").status_code == 302
    assert post("wait_for_customer", reason="Need the order number").status_code == 302
    assert post("resume").status_code == 302
    assert post("escalate", reason="Big customer").status_code == 302
    assert post("decide_response", decision="Refund the delivery").status_code == 302
    assert post("communicate", body="").status_code == 302
    missing = post("close", remedy="compensation", remedy_amount="12.5")
    assert missing.status_code == 422
    assert "Choose whether the case was upheld" in missing.content.decode()
    assert (
        post("close", outcome="upheld", remedy="compensation", remedy_amount="12.5", remedy_currency="eur").status_code
        == 302
    )
    closed = fresh(case)
    assert (closed.status, closed.remedy, closed.remedy_amount, closed.remedy_currency) == (
        "closed",
        "compensation",
        Decimal("12.5"),
        "EUR",
    )
    assert closed.escalation_level == 1
    assert post("reopen", reason="").status_code == 422
    assert post("reopen", reason="The refund never came").status_code == 302
    assert fresh(case).status == "reopened"
    kinds = list(CaseMessage.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds.count("internal_note") == 1 and kinds.count("public_reply") == 2


def test_step_not_allowed_in_the_state_is_refused_with_the_reason(world: World, client_for: Any) -> None:
    case = complaint(world).case
    response = client_for("agent").post(_step(case, "close"), {"close-outcome": "upheld", "close-version": 1})
    assert response.status_code == 422
    assert "so it cannot be closed now" in response.content.decode()
    assert fresh(case).status == "received"
    assert client_for("agent").post(_step(case, "nonsense"), {}).status_code == 404
    assert client_for("viewer").post(_step(case, "acknowledge"), {"acknowledge-version": 1}).status_code == 403


def test_two_agents_on_one_case_never_overwrite_each_other(world: World, client_for: Any) -> None:
    case = builders.to_investigating(world, complaint(world).case)
    first, second = client_for("agent"), client_for("lead")
    seen = case.version  # both opened the page at this version
    ok = first.post(
        _step(case, "assess"), {"assess-severity": "minor", "assess-priority": "low", "assess-version": seen}
    )
    assert ok.status_code == 302
    late = second.post(
        _step(case, "assess"),
        {"assess-severity": "critical", "assess-priority": "urgent", "assess-version": seen},
    )
    assert late.status_code == 409
    body = late.content.decode()
    assert "Someone else changed this record while you were editing it." in body
    current = fresh(case)
    assert (current.severity, current.priority) == ("minor", "low")  # the first agent's change stands
    assert 'class="badge priority-low"' in body  # the fresh state is shown
    assert f'name="assess-version" value="{current.version}"' in body  # a deliberate retry is possible
    assert 'value="critical" selected' in body  # and what the second agent chose is kept
    # the same with a reply: the text typed is kept, nothing is added
    reply = second.post(
        _step(case, "add_message"),
        {"add_message-kind": "public_reply", "add_message-body": "Hello", "add_message-version": seen},
    )
    assert reply.status_code == 409 and "Hello</textarea>" in reply.content.decode()
    assert not CaseMessage.objects.filter(case=case).exists()


def test_htmx_step_answers_the_panel(world: World, client_for: Any) -> None:
    case = complaint(world).case
    response = client_for("agent").post(
        _step(case, "acknowledge"), {"acknowledge-version": case.version}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="case-panel">')
    assert "Case acknowledged." in body and fresh(case).status == "acknowledged"


def test_htmx_step_query_count_is_pinned(world: World, client_for: Any) -> None:
    """A handling step reads the organization's menu lists once (not again for the answer's panel) and the
    case's page reads once, after the step: the count does not grow with the case's messages."""
    client = client_for("agent")
    counts = []
    for messages in (1, 6):
        case = complaint(world, subject=f"pinned {messages}").case
        for i in range(messages):
            actions.add_message(acting_user=world.agent.user, case=fresh(case), kind="internal_note", body=f"n{i}")
        client.get(f"/cases/{case.pk}/")  # the calendar is read once, then kept by the process
        version = fresh(case).version
        # session, user, staff; the case; teams, workers, services, moments (the menus), reply templates,
        # categories; the step (savepoint, case locked, update, version, audit event, release); the fresh case,
        # its messages and their files, loose files, pause; the audit trail; unread notifications, surveys
        # waiting; the session's save (savepoint, update, release). Was 35: the lists were read twice.
        with CaptureQueriesContext(connection) as captured:
            response = client.post(_step(case, "acknowledge"), {"acknowledge-version": version}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and "Case acknowledged." in response.content.decode()
        counts.append(len(captured))
    assert counts[0] == counts[1] == 27


def test_reply_template_in_the_customers_language_prefills_the_reply(world: World, client_for: Any) -> None:
    from servicecycle.accounts import actions as accounts

    customer = accounts.create_customer(acting_user=world.admin.user, name="Lucía", preferred_language="es")
    spanish = actions.create_reply_template(
        acting_user=world.admin.user, name="Disculpa", language="es", body="Lamentamos lo ocurrido."
    )
    actions.create_reply_template(acting_user=world.admin.user, name="Sorry", language="en", body="We are sorry.")
    case = complaint(world, customer_id=customer.pk).case
    client = client_for("agent")
    page = client.get(reverse("case-detail", kwargs={"pk": case.pk})).content.decode()
    assert "the customer’s language: Spanish" in page
    assert page.index("Disculpa") < page.index("Other languages") < page.index("Sorry (English)")
    filled = client.get(reverse("case-detail", kwargs={"pk": case.pk}) + f"?template={spanish.pk}").content.decode()
    assert "Lamentamos lo ocurrido.</textarea>" in filled
    foreign = actions.create_reply_template(acting_user=world.outsider.user, name="X", language="en", body="secret")
    assert client.get(reverse("case-detail", kwargs={"pk": case.pk}) + f"?template={foreign.pk}").status_code == 404


# New case ---------------------------------------------------------------------------------------------------------


def test_agent_logs_a_hotline_call(world: World, client_for: Any) -> None:
    client = client_for("agent")
    assert client.get(reverse("case-create")).status_code == 200
    response = client.post(
        reverse("case-create"),
        {
            "kind": "complaint",
            "channel": "hotline",
            "service": world.service.pk,
            "hotline_caller": "Mr Tan",
            "hotline_duration_minutes": "4.5",
            "hotline_notes": "Angry about the wait",
            "description": "Waited an hour at the counter.",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("case-detail", kwargs={"pk": case.pk})
    assert (case.channel, case.hotline_caller, case.hotline_duration_seconds) == ("hotline", "Mr Tan", 270)
    assert case.subject == "Waited an hour at the counter."


def test_new_case_missing_fields_are_named_and_nothing_is_saved(world: World, client_for: Any) -> None:
    response = client_for("agent").post(
        reverse("case-create"), {"kind": "complaint", "channel": "hotline", "service": world.service.pk}
    )
    assert response.status_code == 200
    assert "Describe what happened." in response.content.decode()
    response = client_for("agent").post(
        reverse("case-create"),
        {"kind": "complaint", "channel": "in_person", "service": "", "description": "x"},
    )
    assert "Choose one of your organization" in response.content.decode()
    # the empty form names both required fields at once, not one per attempt
    body = client_for("agent").post(reverse("case-create"), {"kind": "complaint", "channel": "hotline"}).content
    assert "Describe what happened." in body.decode() and "Choose one of your organization" in body.decode()
    assert not Case.objects.exists()
    assert client_for("viewer").get(reverse("case-create")).status_code == 403


# Configuration ------------------------------------------------------------------------------------------------------


def test_categories_add_rename_and_deactivate(world: World, client_for: Any) -> None:
    client = client_for("manager")
    assert client.post(reverse("case-categories"), {"new-name": "Billing"}).status_code == 302
    assert (
        "A category with this name already exists."
        in client.post(reverse("case-categories"), {"new-name": "billing"}).content.decode()
    )
    category = Category.objects.get(name="Billing")
    client.post(reverse("case-category-edit", kwargs={"pk": category.pk}), {f"c{category.pk}-name": "Invoices"})
    category.refresh_from_db()
    assert (category.name, category.is_active) == ("Invoices", False)
    assert AuditEvent.objects.filter(verb="case_category.updated", object_id=category.pk).exists()
    assert client_for("agent").get(reverse("case-categories")).status_code == 403


def test_sla_targets_are_set_per_kind_and_priority(world: World, client_for: Any) -> None:
    client = client_for("admin")
    page = client.get(reverse("case-sla"))
    assert page.status_code == 200 and page.content.decode().count('type="number"') == 5 * 4 * 3
    response = client.post(
        reverse("case-sla"),
        {"claim-urgent-acknowledgement_minutes": "30", "claim-urgent-resolution_minutes": "540"},
    )
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(kind="claim", priority="urgent")
    assert (policy.acknowledgement_minutes, policy.first_response_minutes, policy.resolution_minutes) == (30, None, 540)
    assert "9 business hours" in client.get(reverse("case-sla")).content.decode()
    bad = client.post(reverse("case-sla"), {"claim-urgent-acknowledgement_minutes": "-5"})
    assert bad.status_code == 422
    assert SlaPolicy.objects.get(kind="claim", priority="urgent").acknowledgement_minutes == 30


def test_reply_templates_list_add_edit_and_deactivate(world: World, client_for: Any) -> None:
    client = client_for("manager")
    response = client.post(reverse("case-template-add"), {"name": "Thanks", "language": "ms", "body": "Terima kasih."})
    assert response.status_code == 302
    template = ReplyTemplate.objects.get()
    missing = client.post(reverse("case-template-add"), {"name": "Empty", "language": "en", "body": ""})
    assert "Write the text of the template." in missing.content.decode()
    edit = reverse("case-template-edit", kwargs={"pk": template.pk})
    assert (
        client.post(
            edit, {"name": "Thanks", "language": "ms", "body": "Terima kasih banyak.", "version": 1}
        ).status_code
        == 302
    )
    template.refresh_from_db()
    assert (template.body, template.is_active, template.version) == ("Terima kasih banyak.", False, 2)
    stale = client.post(edit, {"name": "Thanks", "language": "ms", "body": "Old", "is_active": "on", "version": 1})
    assert "Someone else changed this record" in stale.content.decode()
    assert "Terima kasih banyak." in client.get(reverse("case-templates")).content.decode()
    assert client_for("outsider").get(edit).status_code == 404


@pytest.mark.parametrize("role", ["viewer", "agent"])
def test_configuration_is_for_managers(world: World, client_for: Any, role: str) -> None:
    for name in ("case-categories", "case-sla", "case-templates", "case-template-add"):
        assert client_for(role).get(reverse(name)).status_code == 403


def test_nav_shows_cases(world: World, client: Client, client_for: Any) -> None:
    assert 'href="/cases/"' in client_for("viewer").get("/").content.decode()


def test_a_reply_longer_than_the_limit_is_refused_on_its_field_and_nothing_is_saved(
    world: World, client_for: Any
) -> None:
    from servicecycle.cases.models import CaseMessage
    from servicecycle.core.validation import LONG_TEXT

    case = complaint(world).case
    payload = {
        "add_message-kind": "public_reply",
        "add_message-body": "x" * (LONG_TEXT + 1),
        "add_message-version": fresh(case).version,
    }
    response = client_for("agent").post(_step(case, "add_message"), payload)
    assert response.status_code == 422
    assert f"Ensure this value has at most {LONG_TEXT:,}".replace(",", "") in response.content.decode().replace(",", "")
    assert not CaseMessage.objects.filter(case=case).exists()
    assert (
        f'maxlength="{LONG_TEXT}"'
        in client_for("agent").get(reverse("case-detail", kwargs={"pk": case.pk})).content.decode()
    )
