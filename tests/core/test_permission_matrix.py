"""Every URL pattern, requested anonymously and as each role: nobody reaches what they must not, no 500.

The expectations below are written out independently of the code's own permission table, so a change
to who may do what shows up here as a failing test.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from servicecycle.accounts import actions as accounts
from servicecycle.cases import actions as case_actions
from tests.cases import builders as case_builders
from tests.factories import World

ALL = {"admin", "manager", "lead", "lead_other", "agent", "viewer"}
ADMIN = {"admin"}
MANAGERS = {"admin", "manager"}
CYCLE_EDITORS = {"admin", "manager", "lead"}  # a team lead edits only cycles of services their team owns
CUSTOMER_EDITORS = {"admin", "manager", "lead", "lead_other", "agent"}
SHOPPERS = {"admin", "manager", "lead", "lead_other"}  # comparison-shopping audits: managers, admins, team leads
PEOPLE = {"admin", "manager", "lead", "lead_other", "agent"}  # every member who serves customers
LEADS = {"admin", "manager", "lead", "lead_other"}

# url name -> (method, who may, kind of object in the URL: None | "org-wide" pages show only own data)
MATRIX: dict[str, tuple[str, set[str]]] = {
    "home": ("GET", ALL),
    "dashboard-pdf": ("GET", MANAGERS),
    "dashboard-xlsx": ("GET", MANAGERS),
    "audit-log": ("GET", MANAGERS),
    "notifications": ("GET", ALL),
    "notifications-read": ("POST", ALL),
    "organization": ("GET", ALL),
    "organization-edit": ("GET", ADMIN),
    "working-hours": ("GET", ADMIN),
    "calendar-date-add": ("GET", ADMIN),
    "calendar-date-remove": ("POST", ADMIN),
    "team-list": ("GET", ALL),
    "team-create": ("GET", MANAGERS),
    "team-detail": ("GET", ALL),
    "team-edit": ("GET", MANAGERS),
    "team-delete": ("POST", MANAGERS),
    "staff-list": ("GET", ALL),
    "staff-create": ("GET", ADMIN),
    "staff-edit": ("GET", ADMIN),
    "customer-list": ("GET", ALL),
    "customer-create": ("GET", CUSTOMER_EDITORS),
    "customer-detail": ("GET", ALL),
    "customer-edit": ("GET", CUSTOMER_EDITORS),
    "customer-export": ("GET", MANAGERS),  # personal data: a copy on request, or erasure
    "customer-erase": ("POST", MANAGERS),
    "token-list": ("GET", ALL),
    "token-revoke": ("POST", ALL),
    "two-step": ("GET", ALL),
    "service-list": ("GET", ALL),
    "service-create": ("GET", MANAGERS),
    "service-detail": ("GET", ALL),
    "service-edit": ("GET", MANAGERS),
    "decision-list": ("GET", ALL),
    "decision-create": ("GET", MANAGERS),
    "quality-report": ("GET", ALL),
    "service-lifecycle": ("GET", ALL),
    "service-lifecycle-edit": ("GET", MANAGERS),
    "service-lifecycle-upload": ("POST", MANAGERS),
    "service-strategy": ("GET", ALL),  # the strategy worksheet: every member reads, managers set its margin
    "service-strategy-settings": ("GET", MANAGERS),
    "shopping-list": ("GET", ALL),
    "shopping-create": ("GET", SHOPPERS),
    "shopping-detail": ("GET", ALL),
    "shopping-photo": ("GET", ALL),
    "self-assessment": ("GET", ALL),  # the organization's own assessments only
    "self-assessment-new": ("GET", MANAGERS),
    "cycle": ("GET", ALL),
    "wheel-svg": ("GET", ALL),
    "cycle-reorder": ("POST", CYCLE_EDITORS),
    "moment-add": ("GET", CYCLE_EDITORS),
    "moment-detail": ("GET", ALL),
    "moment-edit": ("GET", CYCLE_EDITORS),
    "moment-remove": ("POST", CYCLE_EDITORS),
    "moment-move": ("POST", CYCLE_EDITORS),
    "moment-evidence": ("GET", ALL),
    "critical-moments": ("GET", ALL),
    "moment-options": ("GET", ALL),
    "survey-list": ("GET", ALL),
    "survey-create": ("GET", MANAGERS),
    "survey-detail": ("GET", ALL),
    "survey-results": ("GET", ALL),
    "survey-response": ("GET", ALL),
    "survey-edit": ("GET", MANAGERS),
    "survey-status": ("POST", MANAGERS),
    "survey-public-link": ("POST", MANAGERS),
    "question-add": ("GET", MANAGERS),
    "question-reorder": ("POST", MANAGERS),
    "question-edit": ("GET", MANAGERS),
    "question-remove": ("POST", MANAGERS),
    "question-move": ("POST", MANAGERS),
    "attribute-add": ("GET", MANAGERS),
    "attribute-edit": ("GET", MANAGERS),
    "attribute-remove": ("POST", MANAGERS),
    "wave-add": ("GET", MANAGERS),
    "invitation-add": ("GET", MANAGERS),
    "survey-invite": ("GET", MANAGERS),
    "survey-invitations": ("GET", ALL),
    "survey-invitation-settings": ("GET", MANAGERS),
    # response imports and exports: the survey's designers (exports carry respondents' emails)
    "survey-import": ("GET", MANAGERS),
    "survey-import-list": ("GET", MANAGERS),
    "survey-import-mapping": ("GET", MANAGERS),
    "survey-import-job": ("GET", MANAGERS),
    "survey-import-run": ("POST", MANAGERS),
    "survey-export": ("GET", MANAGERS),
    "case-reports": ("GET", ALL),  # figures of the own organization only
    "case-reports-export": ("GET", ALL),
    "case-file": ("GET", ALL),  # a case's files: every member, own organization only
    # the staff inbox and case pages: every member reads, all but viewers work cases, managers configure
    "case-inbox": ("GET", ALL),
    "case-create": ("GET", CUSTOMER_EDITORS),
    "case-bulk": ("POST", CUSTOMER_EDITORS),
    "case-view-save": ("POST", ALL),
    "case-view-delete": ("POST", ALL),
    "case-categories": ("GET", MANAGERS),
    "case-category-edit": ("POST", MANAGERS),
    "case-sla": ("GET", MANAGERS),
    "case-templates": ("GET", MANAGERS),
    "case-template-add": ("GET", MANAGERS),
    "case-template-edit": ("GET", MANAGERS),
    "case-detail": ("GET", ALL),
    "case-inline": ("POST", CUSTOMER_EDITORS),
    "case-step": ("POST", CUSTOMER_EDITORS),
    # the quarantine of incoming mail: those who configure cases
    "case-quarantine": ("GET", MANAGERS),
    "case-quarantine-raw": ("GET", MANAGERS),
    "case-quarantine-create": ("POST", MANAGERS),
    "case-quarantine-discard": ("POST", MANAGERS),
    # promises: every member reads; all but viewers make and work them; the fulfilling team (its lead, managers,
    # admins) answers; scorecards are one's own, a lead's team members' and, for managers, everyone's
    "promise-list": ("GET", ALL),
    "promise-create": ("GET", CUSTOMER_EDITORS),
    "promise-customer-options": ("GET", CUSTOMER_EDITORS),
    "promise-requests": ("GET", ALL),
    "promise-dashboard": ("GET", {"admin", "manager", "lead", "lead_other"}),
    "staff-scorecard": ("GET", {"admin", "manager", "agent", "lead_other"}),  # the agent's own card
    "team-promise-calendar": ("GET", ALL),
    "team-calendar-token": ("POST", CYCLE_EDITORS),  # the Warehouse team's lead, managers, admins
    "promise-detail": ("GET", ALL),
    "promise-live": ("GET", ALL),
    "promise-request": ("POST", CUSTOMER_EDITORS),
    "promise-confirm": ("POST", CYCLE_EDITORS),  # the Warehouse team must fulfil it
    "promise-decline": ("POST", CYCLE_EDITORS),
    "promise-accept": ("POST", CUSTOMER_EDITORS),
    "promise-give": ("POST", CUSTOMER_EDITORS),
    "promise-kept": ("POST", CUSTOMER_EDITORS),
    "promise-withdraw": ("POST", CUSTOMER_EDITORS),
    "promise-recover": ("POST", CUSTOMER_EDITORS),
    # people: members who serve see their own training and scorecard (leads their teams', managers everyone's)
    # and answer the pulse; managers and admins manage candidates (personal data), courses and rounds
    "people-home": ("GET", PEOPLE),
    "people-candidates": ("GET", MANAGERS),
    "people-candidate-create": ("GET", MANAGERS),
    "people-candidate-detail": ("GET", MANAGERS),
    "people-candidate-delete": ("POST", MANAGERS),
    "people-courses": ("GET", PEOPLE),
    "people-course-create": ("GET", MANAGERS),
    "people-course-edit": ("GET", MANAGERS),
    "people-course-record": ("GET", MANAGERS),
    "people-training-import": ("GET", MANAGERS),
    "people-training-overdue": ("GET", LEADS),
    "people-staff-training": ("GET", {"admin", "manager", "agent", "lead_other"}),  # the agent's own record
    "people-team-scorecard": ("GET", LEADS),
    "people-scorecard": ("GET", {"admin", "manager", "agent", "lead_other"}),
    "people-pulse": ("GET", PEOPLE),
    "people-pulse-create": ("GET", MANAGERS),
    "people-pulse-detail": ("GET", LEADS),  # a lead sees only their own results
    "people-pulse-answer": ("GET", PEOPLE),
    "people-pulse-close": ("POST", MANAGERS),
}
PUBLIC = {
    "login",
    "login-verify",  # the code step: only meaningful between password and code (tests/accounts/test_two_step.py)
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "set-language",
    "healthz",  # operations endpoints: no session, no sign-in (metrics checks the caller address or token)
    "readyz",
    "metrics",
    "survey-public",  # respondents answer without signing in (tests/surveys/test_respondent.py)
    "survey-invitation",
    "promise-status",  # the customer's promise link: the token is the credential
    "team-calendar-feed",  # a team's private iCalendar feed: the token is the credential
}
SIGNED_IN_ONLY = {"password_change", "password_change_done"}  # every signed-in user, staff or not
# customers' pages without sign-in: an organization's intake form, and a case's status link (the token is the
# credential); tested below with real slugs and tokens
CUSTOMER_PAGES = {"case-intake", "case-status", "case-status-file"}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"  # files attached by the pages under test


def _named_patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    names = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("api/"):
                continue  # the API has its own matrix in tests/api
            names.extend(_named_patterns(entry))
        elif isinstance(entry, URLPattern) and entry.name:
            names.append(entry.name)
    return names


def test_every_url_pattern_is_in_the_matrix() -> None:
    names = set(_named_patterns())
    assert names - set(MATRIX) - PUBLIC - SIGNED_IN_ONLY - CUSTOMER_PAGES == set(), (
        "add new pages to the permission matrix"
    )
    assert set(MATRIX) - names == set()


def _url(name: str, w: World, role_staff: Any) -> tuple[str, dict[str, Any]]:
    """URL and POST data for the pattern, with objects of the world's organization."""
    moment = w.moments[1]
    data: dict[str, Any] = {}
    kwargs: dict[str, Any] = {}
    if name in ("team-detail", "team-edit"):
        kwargs = {"pk": w.other_team.pk}
    elif name == "team-delete":
        kwargs = {"pk": accounts.create_team(acting_user=w.admin.user, name="Short-lived").pk}
    elif name == "staff-edit":
        kwargs = {"pk": w.viewer.pk}
    elif name in ("customer-detail", "customer-edit", "customer-export", "customer-erase"):
        customer = accounts.create_customer(acting_user=w.admin.user, name="Dana Client")
        kwargs = {"pk": customer.pk}
        data = {"confirm": "on"} if name == "customer-erase" else {}
    elif name == "token-revoke":
        token, _raw = accounts.create_api_token(
            acting_user=role_staff.user if role_staff else w.admin.user, name="matrix"
        )
        kwargs = {"pk": token.pk}
    elif name == "calendar-date-remove":
        accounts.set_calendar_date(acting_user=w.admin.user, organization=w.org, date="2030-01-02", kind="closed")
        kwargs = {"date": "2030-01-02"}
    elif name in ("service-detail", "service-edit", "decision-list", "decision-create", "quality-report") or name in (
        "service-lifecycle",
        "service-lifecycle-edit",
        "service-lifecycle-upload",
    ):
        kwargs = {"pk": w.service.pk}
    elif name in ("cycle", "wheel-svg", "moment-add"):
        kwargs = {"service_id": w.service.pk}
    elif name == "cycle-reorder":
        kwargs = {"service_id": w.service.pk}
        data = {"moment": [m.pk for m in reversed(w.moments)]}
    elif name.startswith(("survey-", "question-", "attribute-", "wave-", "invitation-")) and name not in (
        "survey-list",
        "survey-create",
    ):
        kwargs, data = _survey_url(name, w)
    elif name in ("moment-detail", "moment-edit", "moment-remove", "moment-move", "moment-evidence"):
        kwargs = {"service_id": w.service.pk, "pk": moment.pk}
        data = {"direction": "up"} if name == "moment-move" else {}
    elif name in ("case-detail", "case-inline", "case-step", "case-bulk"):
        case = case_builders.complaint(w).case
        kwargs = {"pk": case.pk}
        if name == "case-inline":
            data = {"field": "priority", "value": "high", "version": case.version}
        elif name == "case-step":
            kwargs["step"] = "acknowledge"
            data = {"acknowledge-version": case.version}
        elif name == "case-bulk":
            kwargs = {}
            data = {"case": [case.pk], "operation": "assign", "assignee": w.agent.pk}
    elif name == "case-view-save":
        data = {"name": "Urgent ones", "query": "priority=urgent"}
    elif name.startswith("case-quarantine-"):
        from servicecycle.cases import inbound

        raw = (
            b"From: Ana <ana@example.com>\r\nSubject: Help\r\nMessage-ID: <q1@example.com>\r\n\r\nMy order is lost.\r\n"
        )
        held = inbound.quarantine(organization=w.org, source="maildir:///mail", raw=raw, reason="Looks like spam")
        kwargs = {"pk": held.pk}
    elif name == "case-view-delete":
        owner = role_staff if role_staff is not None and role_staff.organization_id == w.org.pk else w.admin
        kwargs = {"pk": case_actions.save_view(acting_user=owner.user, name="Mine", query="").pk}
    elif name == "case-category-edit":
        category = case_actions.create_category(acting_user=w.admin.user, name="Billing")
        kwargs = {"pk": category.pk}
        data = {f"c{category.pk}-name": "Invoices", f"c{category.pk}-is_active": "on"}
    elif name == "case-template-edit":
        template = case_actions.create_reply_template(acting_user=w.admin.user, name="Hi", language="en", body="Hi")
        kwargs = {"pk": template.pk}
    elif name in ("service-strategy", "service-strategy-settings") or name.startswith("shopping-"):
        from tests.strategy import shopping_builders

        kwargs, data = shopping_builders.matrix_url(name, w)
    elif name.startswith("people-"):
        from tests.people import builders as people_builders

        kwargs, data = people_builders.matrix_url(name, w)
    if name in PROMISE_PAGES:
        kwargs, data = _promise_url(name, w)
    elif name == "staff-scorecard":
        kwargs = {"pk": w.agent.pk}
    elif name in ("team-promise-calendar", "team-calendar-token"):
        kwargs = {"pk": w.owner_team.pk}
    elif name == "moment-options":
        return reverse(name) + f"?service={w.service.pk}", data
    if name == "case-reports-export":
        return reverse(name) + "?format=csv&table=sla", data
    if name == "case-file":
        kwargs = _case_file(w)
    return reverse(name, kwargs=kwargs), data


PROMISE_PAGES = {n for n in MATRIX if n.startswith("promise-")} - {
    "promise-list",
    "promise-create",
    "promise-customer-options",
    "promise-requests",
    "promise-dashboard",
}


def _promise_url(name: str, w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """A promise of the world's agent in the state the action needs, and the action form's data."""
    from datetime import timedelta

    from django.utils import timezone

    from servicecycle.promises import actions as promises
    from tests.promises import builders as promise_builders

    later = timezone.now() + timedelta(days=1)
    if name in ("promise-detail", "promise-live", "promise-request", "promise-withdraw"):
        promise = promise_builders.draft(w)
    elif name in ("promise-confirm", "promise-decline"):
        promise = promise_builders.awaiting(w)
    elif name == "promise-accept":
        promise = promises.decline(
            acting_user=w.lead.user,
            promise=promise_builders.awaiting(w),
            reason="No",
            alternative_text="Tomorrow",
            alternative_due_at=later,
        )
    elif name == "promise-give":
        promise = promise_builders.confirmed(w)
    elif name == "promise-kept":
        promise = promise_builders.given(w)
    else:  # promise-recover: given, then found past its due time
        promise = promise_builders.given(w, due_at=timezone.now() + timedelta(minutes=5))
        promises.handle_promise_deadline(promise_id=promise.pk, now=timezone.now() + timedelta(minutes=10))
        promise.refresh_from_db()
    prefix = name.removeprefix("promise-")
    data: dict[str, Any] = {f"{prefix}-version": promise.version}
    if name == "promise-decline":
        data |= {"decline-reason": "No truck", "decline-alternative_due_at": later.strftime("%Y-%m-%dT%H:%M")}
    elif name == "promise-withdraw":
        data["withdraw-reason"] = "Not needed"
    elif name == "promise-recover":
        data |= {"recover-recovery": "apology", "recover-note": "We said sorry"}
    elif name == "promise-live":
        data = {}
    return {"pk": promise.pk}, data


def _survey_url(name: str, w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """A draft survey of the world's organization with an NPS question and a grid with one attribute."""
    from servicecycle.surveys import actions as surveys

    survey = surveys.create_survey(acting_user=w.admin.user, titles={"en": "Matrix survey"})
    nps = surveys.add_question(acting_user=w.admin.user, survey=survey, kind="nps", texts={"en": "Recommend?"})
    grid = surveys.add_question(
        acting_user=w.admin.user, survey=survey, kind="ipa_grid", texts={"en": "Rate"}, scale_min=1, scale_max=5
    )
    attribute = surveys.add_attribute(acting_user=w.admin.user, question=grid, texts={"en": "On time"})
    kwargs: dict[str, Any] = {"pk": survey.pk}
    data: dict[str, Any] = {}
    if name in ("question-edit", "question-remove", "question-move"):
        kwargs["question_pk"] = nps.pk
        data = {"direction": "down"} if name == "question-move" else {}
    elif name == "attribute-add":
        kwargs["question_pk"] = grid.pk
    elif name in ("attribute-edit", "attribute-remove"):
        kwargs.update(question_pk=grid.pk, attribute_pk=attribute.pk)
    elif name == "survey-status":
        data = {"status": "open"}
    elif name == "survey-public-link":
        data = {"enabled": "on"}
    elif name == "question-reorder":
        data = {"question": [grid.pk, nps.pk]}
    elif name == "survey-response":
        surveys.set_survey_status(acting_user=w.admin.user, survey=survey, status="open")
        answers = [
            {"question": nps.pk, "value": 9},
            {"question": grid.pk, "attribute": attribute.pk, "importance": 4, "performance": 3},
        ]
        response = surveys.record_response(survey=survey, answers=answers)
        kwargs["response_pk"] = response.pk
    elif name.startswith("survey-import") or name == "survey-export":
        surveys.set_survey_status(acting_user=w.admin.user, survey=survey, status="open")
        if name == "survey-export":
            kwargs["fmt"] = "csv"
        elif name in ("survey-import-mapping", "survey-import-job", "survey-import-run"):
            from django.core.files.base import ContentFile

            from servicecycle.surveys import imports

            job = imports.start(
                acting_user=w.admin.user, survey=survey, file=ContentFile(b"Recommend?\n7\n"), file_name="matrix.csv"
            )
            kwargs["job_pk"] = job.pk
    return kwargs, data


def _request(client: Client, method: str, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data) if method == "POST" else client.get(url)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous_visitor_is_sent_to_login(name: str, world: World) -> None:
    method, _allowed = MATRIX[name]
    url, data = _url(name, world, None)
    response = _request(Client(), method, url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_role_reaches_exactly_what_it_may(name: str, role: str, world: World, client_for: Any) -> None:
    method, allowed = MATRIX[name]
    url, data = _url(name, world, world.by_role[role])
    response = _request(client_for(role), method, url, data)
    if role in allowed:
        assert response.status_code in ((200,) if method == "GET" else (200, 302)), response.status_code
        if method == "POST":
            assert response.status_code != 403
    else:
        assert response.status_code in (403, 404), f"{role} reached {name}: {response.status_code}"


OBJECT_PAGES = [
    n
    for n in MATRIX
    if n
    not in {
        "home",
        "dashboard-pdf",
        "dashboard-xlsx",
        "audit-log",
        "notifications",
        "notifications-read",
        "organization",
        "organization-edit",
        "working-hours",
        "calendar-date-add",
        "team-list",
        "team-create",
        "staff-list",
        "staff-create",
        "customer-list",
        "customer-create",
        "token-list",
        "two-step",
        "service-list",
        "service-create",
        "calendar-date-remove",
        "survey-list",
        "survey-create",
        "case-reports",
        "case-reports-export",
        "promise-list",
        "promise-create",
        "promise-customer-options",
        "promise-requests",
        "promise-dashboard",
        "critical-moments",
        "moment-options",
        "case-inbox",
        "case-quarantine",
        "case-create",
        "case-bulk",  # rows of another organization are reported as not found, row by row
        "case-view-save",
        "case-categories",
        "case-sla",
        "case-templates",
        "case-template-add",
        "self-assessment",
        "self-assessment-new",
        "people-home",
        "people-candidates",
        "people-candidate-create",
        "people-courses",
        "people-course-create",
        "people-training-overdue",
        "people-training-import",
        "people-team-scorecard",
        "people-pulse",
        "people-pulse-create",
    }
]


@pytest.mark.parametrize("name", sorted(OBJECT_PAGES))
def test_another_organizations_admin_gets_404_for_every_object(name: str, world: World, client_for: Any) -> None:
    method, _allowed = MATRIX[name]
    url, data = _url(name, world, None)
    response = _request(client_for("outsider"), method, url, data)
    assert response.status_code == 404


def test_another_organizations_admin_sees_none_of_its_data_in_lists(world: World, client_for: Any) -> None:
    client = client_for("outsider")
    for name in ("service-list", "team-list", "staff-list", "customer-list", "home", "audit-log", "case-reports"):
        body = client.get(reverse(name)).content.decode()
        assert world.service.name not in body, name
        assert world.owner_team.name not in body, name


@pytest.mark.parametrize(
    "name",
    sorted(
        PUBLIC
        - {"password_reset_confirm", "logout", "set-language", "login-verify", "promise-status", "team-calendar-feed"}
        - {"survey-public", "survey-invitation"}
    ),
)
def test_public_pages_answer_anonymous_visitors(name: str, db: None) -> None:
    assert Client().get(reverse(name)).status_code == 200


def test_password_reset_link_with_a_forged_token_says_it_is_invalid(db: None) -> None:
    url = reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "forged-token"})
    response = Client().get(url)
    assert response.status_code == 200
    assert b"no longer valid" in response.content


def _public_case_with_file(w: World) -> tuple[Any, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from servicecycle.cases import actions as cases
    from tests.cases import builders

    created = builders.public_complaint(w)
    note = SimpleUploadedFile("note.txt", b"Order 4711", "text/plain")
    [attachment] = cases.add_attachments(case=created.case, files=[note])
    return created, attachment


def _case_file(w: World) -> dict[str, Any]:
    created, attachment = _public_case_with_file(w)
    return {"case_pk": created.case.pk, "pk": attachment.pk}


def test_customer_pages_answer_anyone_with_the_organization_or_the_link_and_nobody_without(
    world: World, client_for: Any
) -> None:
    created, attachment = _public_case_with_file(world)
    token = created.status_token
    pages = [
        reverse("case-intake", kwargs={"slug": world.org.slug}),
        reverse("case-status", kwargs={"token": token}),
        reverse("case-status-file", kwargs={"token": token, "pk": attachment.pk}),
    ]
    for client in (Client(), client_for("outsider"), client_for("viewer")):
        for url in pages:
            assert client.get(url).status_code == 200, url
    forged = [
        reverse("case-intake", kwargs={"slug": "no-such-organization"}),
        reverse("case-status", kwargs={"token": "forged"}),
        reverse("case-status-file", kwargs={"token": "forged", "pk": attachment.pk}),
    ]
    for url in forged:
        assert Client().get(url).status_code == 404, url
