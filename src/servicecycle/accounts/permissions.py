"""Who may do what. One table of capabilities per role, plus object rules, used by pages, API and exports."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from servicecycle.accounts.models import Role, Staff
from servicecycle.core.errors import PermissionDenied

# capability -> roles that hold it
CAPABILITIES: dict[str, frozenset[str]] = {
    "view": frozenset(Role.values),
    "organization.manage": frozenset({Role.ADMIN}),
    "staff.manage": frozenset({Role.ADMIN}),
    "team.manage": frozenset({Role.ADMIN, Role.MANAGER}),
    "service.manage": frozenset({Role.ADMIN, Role.MANAGER}),
    "decision.manage": frozenset({Role.ADMIN, Role.MANAGER}),
    # team leads edit the cycles of the services their teams own (see can_edit_cycle)
    "cycle.manage": frozenset({Role.ADMIN, Role.MANAGER, Role.TEAM_LEAD}),
    "customer.manage": frozenset({Role.ADMIN, Role.MANAGER, Role.TEAM_LEAD, Role.AGENT}),
    # export everything held about a customer, or erase it on their request
    "customer.personal_data": frozenset({Role.ADMIN, Role.MANAGER}),
    "audit.view": frozenset({Role.ADMIN, Role.MANAGER}),
    # every member sees the organization's cases (viewers read only); all but viewers work them
    "case.view": frozenset(Role.values),
    "case.work": frozenset({Role.ADMIN, Role.MANAGER, Role.TEAM_LEAD, Role.AGENT}),
    "case.configure": frozenset({Role.ADMIN, Role.MANAGER}),
    # every member reads surveys and their results; admins and managers design, open and invite
    "survey.view": frozenset(Role.values),
    "survey.design": frozenset({Role.ADMIN, Role.MANAGER}),
    # the manager dashboard (their home page) and its PDF / XLSX exports
    "dashboard.view": frozenset({Role.ADMIN, Role.MANAGER}),
    # people: every member who serves sees their own training and scorecard (team leads their teams') and
    # answers the internal pulse; admins and managers manage candidates, courses, completions and pulse rounds
    "people.view": frozenset({Role.ADMIN, Role.MANAGER, Role.TEAM_LEAD, Role.AGENT}),
    "people.manage": frozenset({Role.ADMIN, Role.MANAGER}),
    # comparison shopping (mystery-shopping audits of our and competitors' outlets)
    "shopping.record": frozenset({Role.ADMIN, Role.MANAGER, Role.TEAM_LEAD}),
}

MESSAGE_NOT_ALLOWED = "You do not have permission to do this."


def staff_of(user: Any) -> Staff | None:
    """The staff profile of a signed-in user (cached on the user object), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cached: Staff | bool | None = getattr(user, "_staff_cache", False)
    if cached is not False:
        return cached if isinstance(cached, Staff) else None
    staff = Staff.objects.select_related("organization").filter(user=user).first()
    user._staff_cache = staff
    return staff


def has(user: Any, capability: str) -> bool:
    staff = staff_of(user)
    return staff is not None and staff.role in CAPABILITIES[capability]


def require(user: Any, capability: str) -> Staff:
    """The staff profile, or PermissionDenied when the role lacks the capability."""
    staff = staff_of(user)
    if staff is None:
        raise Http404
    if staff.role not in CAPABILITIES[capability]:
        raise PermissionDenied(MESSAGE_NOT_ALLOWED)
    return staff


def team_ids(staff: Staff) -> set[int]:
    cached = getattr(staff, "_team_ids", None)
    if cached is None:
        cached = set(staff.teams.values_list("id", flat=True))
        staff._team_ids = cached  # type: ignore[attr-defined]
    return cached


def can_edit_cycle(user: Any, owner_team_id: int) -> bool:
    """Admins and managers edit every cycle; a team lead edits the cycles of services their team owns."""
    staff = staff_of(user)
    if staff is None or staff.role not in CAPABILITIES["cycle.manage"]:
        return False
    if staff.role == Role.TEAM_LEAD:
        return owner_team_id in team_ids(staff)
    return True
