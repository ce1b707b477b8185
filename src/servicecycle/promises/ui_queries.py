"""Extra reads the promise pages need beyond ``promises.queries``: list filters, pickers and access to people
and teams. Promises themselves are always fetched through ``promises.queries``; this module only narrows the
querysets it returns or reads the backbone (customers, moments, teams, staff).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet, When
from django.db.models import Case as DbCase
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicecycle.accounts.models import Customer, Organization, Role, Staff, Team
from servicecycle.accounts.permissions import staff_of, team_ids
from servicecycle.core.errors import PermissionDenied
from servicecycle.promises.models import Promise, State, overdue_filter

MANAGING_ROLES = (Role.ADMIN, Role.MANAGER)
DUE_FILTERS = ("overdue", "today", "week", "later")
SORTS = {"due": ("due_at", "id"), "-due": ("-due_at", "-id")}
DEFAULT_SORT = "open"  # the promises still to act on first, soonest due first; then the settled ones, newest first


def scopes_for(staff: Staff) -> list[str]:
    """Which lists a role may open: everyone their own and their teams'; leads, managers and viewers all."""
    if staff.role == Role.AGENT:
        return ["mine", "team"]
    if staff.role == Role.VIEWER:
        return ["team", "all"]
    return ["mine", "team", "all"]


def filter_promises(
    promises: QuerySet[Promise],
    *,
    organization: Organization,
    team_id: int | None = None,
    service_id: int | None = None,
    due: str = "",
    sort: str = DEFAULT_SORT,
    now: datetime | None = None,
) -> QuerySet[Promise]:
    """Narrow a list from ``queries.promises_for_user`` by the list page's filters (day bounds in local time)."""
    if team_id:
        promises = promises.filter(fulfilling_team_id=team_id)
    if service_id:
        promises = promises.filter(service_id=service_id)
    if due in DUE_FILTERS:
        now = now or timezone.now()
        local = timezone.localtime(now)
        start_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        end_of_day = start_of_day + timedelta(days=1)
        if due == "overdue":
            promises = promises.filter(overdue_filter(now))
        elif due == "today":
            promises = promises.filter(due_at__gte=start_of_day, due_at__lt=end_of_day)
        elif due == "week":
            promises = promises.filter(due_at__gte=start_of_day, due_at__lt=start_of_day + timedelta(days=7))
        else:
            promises = promises.filter(due_at__gte=start_of_day + timedelta(days=7))
    if sort not in SORTS:  # the default: settled means kept, withdrawn, or broken with its recovery recorded
        settled = Q(state__in=[State.KEPT, State.WITHDRAWN]) | Q(state=State.BROKEN, recovered_at__isnull=False)
        promises = promises.annotate(settled=ExpressionWrapper(settled, output_field=BooleanField()))
        return promises.order_by(
            "settled",
            DbCase(When(settled=False, then=F("due_at"))).asc(nulls_last=True),
            F("due_at").desc(),
            "-id",
        )
    return promises.order_by(*SORTS[sort])


def needing_attention(promises: QuerySet[Promise], *, now: datetime | None = None) -> QuerySet[Promise]:
    """Of the given promises: those at risk (due soon, not done) or overdue/broken without a recovery yet."""
    now = now or timezone.now()
    return promises.filter(
        Q(state__in=[State.CONFIRMED, State.GIVEN], risk_at__lte=now)
        | Q(state__in=[State.CONFIRMED, State.GIVEN], due_at__lte=now)
        | Q(state=State.BROKEN, recovered_at__isnull=True)
    ).order_by("due_at", "id")


def customer_options(organization: Organization, search: str, limit: int = 25) -> list[Customer]:
    search = search.strip()
    customers = Customer.objects.filter(organization=organization)
    if search:
        customers = customers.filter(
            Q(name__icontains=search) | Q(email__icontains=search) | Q(company__icontains=search)
        )
    return list(customers.order_by("name", "id")[:limit])


def case_id_for_reference(organization: Organization, reference: str) -> int | None:
    """The id of the organization's case with this reference, or None (cases are read without importing them)."""
    case_model = Promise._meta.get_field("case").related_model
    found = (
        case_model._default_manager.filter(organization=organization, reference__iexact=reference.strip())  # type: ignore[union-attr]
        .values_list("pk", flat=True)
        .first()
    )
    return int(found) if found is not None else None


def team_for_user(user: Any, team_id: Any) -> Team:
    staff = staff_of(user)
    if staff is None:
        raise Http404
    try:
        return Team.objects.get(pk=int(team_id), organization_id=staff.organization_id)
    except (Team.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def can_manage_team_calendar(user: Any, team: Team) -> bool:
    staff = staff_of(user)
    if staff is None:
        return False
    if staff.role in MANAGING_ROLES:
        return True
    return staff.role == Role.TEAM_LEAD and team.pk in team_ids(staff)


def can_see_dashboard(user: Any) -> bool:
    staff = staff_of(user)
    return staff is not None and staff.role in (Role.ADMIN, Role.MANAGER, Role.TEAM_LEAD)


def scorecard_person_for_user(user: Any, staff_id: Any) -> Staff:
    """Whose scorecard the user may open: their own; a lead their teams' members; managers and admins anyone."""
    viewer = staff_of(user)
    if viewer is None:
        raise Http404
    try:
        person = Staff.objects.select_related("user").get(pk=int(staff_id), organization_id=viewer.organization_id)
    except (Staff.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if person.pk == viewer.pk or viewer.role in MANAGING_ROLES:
        return person
    if viewer.role == Role.TEAM_LEAD and team_ids(viewer) & team_ids(person):
        return person
    raise PermissionDenied(str(_("You may see your own scorecard and, as a team lead, those of your teams' members.")))


def visible_people(user: Any) -> QuerySet[Staff]:
    """The people whose scorecards the user may open (for the dashboard's links)."""
    viewer = staff_of(user)
    if viewer is None:
        return Staff.objects.none()
    people = Staff.objects.filter(organization_id=viewer.organization_id)
    if viewer.role in MANAGING_ROLES:
        return people
    if viewer.role == Role.TEAM_LEAD:
        return people.filter(Q(pk=viewer.pk) | Q(teams__in=team_ids(viewer))).distinct()
    return people.filter(pk=viewer.pk)
