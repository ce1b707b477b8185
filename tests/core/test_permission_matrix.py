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
from tests.factories import World

ALL = {"admin", "manager", "lead", "lead_other", "agent", "viewer"}
ADMIN = {"admin"}
MANAGERS = {"admin", "manager"}
CYCLE_EDITORS = {"admin", "manager", "lead"}  # a team lead edits only cycles of services their team owns
CUSTOMER_EDITORS = {"admin", "manager", "lead", "lead_other", "agent"}

# url name -> (method, who may, kind of object in the URL: None | "org-wide" pages show only own data)
MATRIX: dict[str, tuple[str, set[str]]] = {
    "home": ("GET", ALL),
    "audit-log": ("GET", MANAGERS),
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
    "token-list": ("GET", ALL),
    "token-revoke": ("POST", ALL),
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
    "cycle": ("GET", ALL),
    "wheel-svg": ("GET", ALL),
    "cycle-reorder": ("POST", CYCLE_EDITORS),
    "moment-add": ("GET", CYCLE_EDITORS),
    "moment-detail": ("GET", ALL),
    "moment-edit": ("GET", CYCLE_EDITORS),
    "moment-remove": ("POST", CYCLE_EDITORS),
    "moment-move": ("POST", CYCLE_EDITORS),
}
PUBLIC = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "set-language",
    "healthz",  # operations endpoints: no session, no sign-in (metrics checks the caller address or token)
    "readyz",
    "metrics",
}
SIGNED_IN_ONLY = {"password_change", "password_change_done"}  # every signed-in user, staff or not


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
    assert names - set(MATRIX) - PUBLIC - SIGNED_IN_ONLY == set(), "add new pages to the permission matrix"
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
    elif name in ("customer-detail", "customer-edit"):
        customer = accounts.create_customer(acting_user=w.admin.user, name="Dana Client")
        kwargs = {"pk": customer.pk}
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
    elif name in ("moment-detail", "moment-edit", "moment-remove", "moment-move"):
        kwargs = {"service_id": w.service.pk, "pk": moment.pk}
        data = {"direction": "up"} if name == "moment-move" else {}
    return reverse(name, kwargs=kwargs), data


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
        "audit-log",
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
        "service-list",
        "service-create",
        "calendar-date-remove",
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
    for name in ("service-list", "team-list", "staff-list", "customer-list", "home", "audit-log"):
        body = client.get(reverse(name)).content.decode()
        assert world.service.name not in body, name
        assert world.owner_team.name not in body, name


@pytest.mark.parametrize("name", sorted(PUBLIC - {"password_reset_confirm", "logout", "set-language"}))
def test_public_pages_answer_anonymous_visitors(name: str, db: None) -> None:
    assert Client().get(reverse(name)).status_code == 200


def test_password_reset_link_with_a_forged_token_says_it_is_invalid(db: None) -> None:
    url = reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "forged-token"})
    response = Client().get(url)
    assert response.status_code == 200
    assert b"no longer valid" in response.content
