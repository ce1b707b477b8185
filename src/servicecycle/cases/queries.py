"""Reads of cases: access checks for staff, and the customer's status link.

Access rule (kept simple on purpose): every staff member of the organization sees all its cases; viewers only
read, every other role may work them (case.work). Staff of another organization, and anonymous users, get a
404, so they never learn that a case exists.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from servicecycle.accounts.permissions import MESSAGE_NOT_ALLOWED, has, staff_of
from servicecycle.cases.actions.intake import hash_token
from servicecycle.cases.models import Case, CaseMessage
from servicecycle.core.errors import PermissionDenied

CASE_RELATED = ("organization", "service", "moment", "category", "customer", "assignee__user", "team")


def get_case_for_user(user: Any, case_id: Any, *, write: bool = False) -> Case:
    """The case when the user's organization holds it (else 404); 403 when write access is asked and missing."""
    staff = staff_of(user)
    if staff is None or not has(user, "case.view"):
        raise Http404
    try:
        case = Case.objects.select_related(*CASE_RELATED).get(pk=int(case_id), organization_id=staff.organization_id)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if write and not has(user, "case.work"):
        raise PermissionDenied(MESSAGE_NOT_ALLOWED)
    return case


def get_case_by_token(raw_token: Any) -> Case:
    """The case of a status link, found by the SHA-256 of the token (an indexed equality lookup, so the time
    taken does not depend on how much of a guessed token is right); 404 for a forged or unknown token."""
    raw = str(raw_token or "").strip()
    if not raw:
        raise Http404
    case = Case.objects.select_related("organization", "service").filter(status_token_hash=hash_token(raw)).first()
    if case is None:
        raise Http404
    return case


def public_messages(case: Case) -> QuerySet[CaseMessage]:
    """What the customer sees on the status page: replies and their own messages, never internal notes."""
    return case.messages.exclude(kind=CaseMessage.Kind.INTERNAL_NOTE).order_by("created_at", "id")
