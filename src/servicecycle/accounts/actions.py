"""Every write to organizations, teams, staff, customers and API tokens goes through these functions."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from itertools import pairwise
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.accounts.models import (
    ApiToken,
    CalendarDate,
    Customer,
    Organization,
    Role,
    Staff,
    Team,
    WorkingInterval,
    new_settings_stamp,
)
from servicecycle.accounts.permissions import require
from servicecycle.core import audit, events
from servicecycle.core.changes import apply_changes, check_version, hash_token
from servicecycle.core.errors import DomainError, ValidationFailed
from servicecycle.core.models import AuditEvent
from servicecycle.core.validation import check, fail

User = get_user_model()

ORGANIZATION_FIELDS = ("name", "time_zone", "holiday_country", "holiday_subdivision", "default_language")
TEAM_FIELDS = ("name", "description", "color", "email")
CUSTOMER_FIELDS = (
    "name",
    "email",
    "phone",
    "company",
    "preferred_language",
    "consent_contact",
    "consent_surveys",
    "consent_marketing",
    "notes",
)
# customer fields holding personal data, replaced in the customer's audit trail on erasure
ERASED_CUSTOMER_FIELDS = frozenset({"name", "email", "phone", "company", "notes"})
TOKEN_PREFIX = "sc_"  # noqa: S105 - a visible prefix, not a secret


def _validate_holidays(organization: Organization) -> None:
    if not organization.holiday_country:
        return
    import holidays

    try:
        holidays.country_holidays(organization.holiday_country.upper(), subdiv=organization.holiday_subdivision or None)
    except NotImplementedError as exc:
        raise fail(
            "holiday_country",
            _("No public-holiday calendar for country code %(code)s.") % {"code": organization.holiday_country},
        ) from exc
    except Exception as exc:  # unknown subdivision
        raise fail("holiday_subdivision", str(exc)) from exc


# Organization -------------------------------------------------------------------------------------------


@transaction.atomic
def create_organization(
    *,
    name: str,
    slug: str,
    time_zone: str = "UTC",
    holiday_country: str = "",
    holiday_subdivision: str = "",
    default_language: str = "en",
) -> Organization:
    """Create an organization with the usual Monday-Friday 09:00-18:00 hours (used by set-up and the demo)."""
    organization = Organization(
        name=name,
        slug=slug,
        time_zone=time_zone,
        holiday_country=holiday_country.upper(),
        holiday_subdivision=holiday_subdivision,
        default_language=default_language,
    )
    check(organization)
    _validate_holidays(organization)
    organization.save()
    WorkingInterval.objects.bulk_create(
        WorkingInterval(organization=organization, weekday=day, opens=9 * 60, closes=18 * 60) for day in range(5)
    )
    return organization


@transaction.atomic
def update_organization(*, acting_user: Any, organization: Organization, **changes: Any) -> Organization:
    require(acting_user, "organization.manage")
    if "holiday_country" in changes:
        changes["holiday_country"] = (changes["holiday_country"] or "").upper()
    changed = apply_changes(organization, ORGANIZATION_FIELDS, changes)
    check(organization)
    _validate_holidays(organization)
    if changed:
        organization.save(update_fields=list(changed))
        audit.record(
            actor=acting_user,
            organization_id=organization.pk,
            verb="organization.updated",
            obj=organization,
            changes=changed,
        )
        if changed.keys() & {"time_zone", "holiday_country", "holiday_subdivision"}:
            _clock_changed(organization, time_zone_changed="time_zone" in changed)
    return organization


def settings_changed(organization: Organization) -> None:
    """Stamp a change of the organization's calendar or SLA settings (see Organization.settings_stamp)."""
    organization.settings_stamp = new_settings_stamp()
    Organization.objects.filter(pk=organization.pk).update(settings_stamp=organization.settings_stamp)


def _clock_changed(organization: Organization, *, time_zone_changed: bool = False) -> None:
    """Tell the apps that keep business-time deadlines or per-day figures (cases, promises) to recompute them."""
    settings_changed(organization)
    events.clock_changed.send(sender=Organization, organization=organization, time_zone_changed=time_zone_changed)


@transaction.atomic
def set_working_hours(
    *, acting_user: Any, organization: Organization, intervals: Iterable[tuple[int, int, int]]
) -> list[WorkingInterval]:
    """Replace the weekly hours. Each interval is (weekday 0=Monday, opens, closes) in minutes; no overlaps."""
    require(acting_user, "organization.manage")
    rows = sorted(intervals)
    for weekday, opens, closes in rows:
        if not 0 <= weekday <= 6:
            raise fail("weekday", _("The weekday must be between Monday and Sunday."))
        if not (0 <= opens < closes <= 1440):
            raise fail("closes", _("Each interval must close after it opens, by 24:00 at the latest."))
    for (day_a, _open_a, close_a), (day_b, open_b, _close_b) in pairwise(rows):
        if day_a == day_b and open_b < close_a:
            raise fail("opens", _("Two intervals of the same day overlap."))
    before = [str(i) for i in organization.working_intervals.all()]
    organization.working_intervals.all().delete()
    created = WorkingInterval.objects.bulk_create(
        WorkingInterval(organization=organization, weekday=d, opens=o, closes=c) for d, o, c in rows
    )
    audit.record(
        actor=acting_user,
        organization_id=organization.pk,
        verb="organization.hours_changed",
        obj=organization,
        changes={"working_hours": [before, [str(i) for i in created]]},
    )
    _clock_changed(organization)
    return created


@transaction.atomic
def set_calendar_date(
    *, acting_user: Any, organization: Organization, date: Any, kind: str, note: str = ""
) -> CalendarDate:
    require(acting_user, "organization.manage")
    entry, _created = CalendarDate.objects.get_or_create(
        organization=organization, date=date, defaults={"kind": kind, "note": note}
    )
    entry.kind, entry.note = kind, note
    check(entry, exclude=["organization"])
    entry.save()
    audit.record(
        actor=acting_user,
        organization_id=organization.pk,
        verb="organization.date_set",
        obj=organization,
        changes={"date": [None, f"{date} {kind} {note}".strip()]},
    )
    _clock_changed(organization)
    return entry


@transaction.atomic
def remove_calendar_date(*, acting_user: Any, organization: Organization, date: Any) -> None:
    require(acting_user, "organization.manage")
    deleted, _rows = CalendarDate.objects.filter(organization=organization, date=date).delete()
    if deleted:
        audit.record(
            actor=acting_user,
            organization_id=organization.pk,
            verb="organization.date_removed",
            obj=organization,
            changes={"date": [str(date), None]},
        )
        _clock_changed(organization)


# Teams --------------------------------------------------------------------------------------------------


@transaction.atomic
def create_team(*, acting_user: Any, name: str, description: str = "", color: str = "#3566a8", email: str = "") -> Team:
    staff = require(acting_user, "team.manage")
    team = Team(organization=staff.organization, name=name.strip(), description=description, color=color, email=email)
    _validate_color(team.color)
    check(team)
    team.save()
    audit.record(
        actor=acting_user,
        organization_id=team.organization_id,
        verb="team.created",
        obj=team,
        changes=audit.snapshot(team, TEAM_FIELDS),
    )
    return team


def _validate_color(color: str) -> None:
    if len(color) != 7 or color[0] != "#" or any(c not in "0123456789abcdefABCDEF" for c in color[1:]):
        raise fail("color", _("Enter a colour as #rrggbb, for example #3566a8."))


@transaction.atomic
def update_team(*, acting_user: Any, team: Team, **changes: Any) -> Team:
    require(acting_user, "team.manage")
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    changed = apply_changes(team, TEAM_FIELDS, changes)
    _validate_color(team.color)
    check(team)
    if changed:
        team.save(update_fields=list(changed))
        audit.record(
            actor=acting_user,
            organization_id=team.organization_id,
            verb="team.updated",
            obj=team,
            changes=changed,
        )
    return team


@transaction.atomic
def delete_team(*, acting_user: Any, team: Team) -> None:
    require(acting_user, "team.manage")
    if team.owned_services.exists() or team.owned_moments.exists():
        raise DomainError(
            _("This team still owns services or moments of truth. Give them to another team first."),
            field="team",
        )
    audit.record(actor=acting_user, organization_id=team.organization_id, verb="team.deleted", obj=team)
    team.delete()


# Staff --------------------------------------------------------------------------------------------------


def _teams_of_organization(organization: Organization, team_ids: Iterable[int]) -> list[Team]:
    wanted = set(team_ids)
    teams = list(Team.objects.filter(organization=organization, id__in=wanted))
    if len(teams) != len(wanted):
        raise fail("teams", _("Unknown team."))
    return teams


@transaction.atomic
def create_staff(
    *,
    acting_user: Any,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    team_ids: Iterable[int] = (),
    job_title: str = "",
    password: str | None = None,
    organization: Organization | None = None,
) -> Staff:
    """Add a staff login. Without a password the person sets one through the password-reset link."""
    if acting_user is None:  # set-up and demo seeding, run from the command line
        if organization is None:
            raise fail("organization", _("An organization is required."))
    else:
        organization = require(acting_user, "staff.manage").organization
    email = email.strip().lower()
    if not email or "@" not in email:
        raise fail("email", _("Enter a valid email address."))
    if User.objects.filter(username=email).exists():
        raise fail("email", _("A login with this email address already exists."))
    if role not in Role.values:
        raise fail("role", _("Unknown role."))
    teams = _teams_of_organization(organization, team_ids)
    user = User(username=email, email=email, first_name=first_name.strip(), last_name=last_name.strip())
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed({"password": list(exc.messages)}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    staff = Staff.objects.create(user=user, organization=organization, role=role, job_title=job_title)
    staff.teams.set(teams)
    audit.record(
        actor=acting_user,
        organization_id=organization.pk,
        verb="staff.created",
        obj=staff,
        changes={"email": email, "role": role, "teams": [t.name for t in teams]},
    )
    return staff


@transaction.atomic
def update_staff(
    *,
    acting_user: Any,
    staff: Staff,
    role: str | None = None,
    team_ids: Iterable[int] | None = None,
    job_title: str | None = None,
    is_active: bool | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> Staff:
    me = require(acting_user, "staff.manage")
    changes: dict[str, list[Any]] = {}
    if role is not None and role != staff.role:
        if role not in Role.values:
            raise fail("role", _("Unknown role."))
        if staff.pk == me.pk and role != Role.ADMIN:
            raise fail("role", _("You cannot remove your own administrator role."))
        changes["role"] = [staff.role, role]
        staff.role = role
    if job_title is not None and job_title != staff.job_title:
        changes["job_title"] = [staff.job_title, job_title]
        staff.job_title = job_title
    staff.save(update_fields=["role", "job_title"])
    user = staff.user
    for field, value in (("first_name", first_name), ("last_name", last_name), ("is_active", is_active)):
        if value is not None and getattr(user, field) != value:
            if field == "is_active" and staff.pk == me.pk and not value:
                raise fail("is_active", _("You cannot deactivate your own login."))
            changes[field] = [getattr(user, field), value]
            setattr(user, field, value)
    user.save(update_fields=["first_name", "last_name", "is_active"])
    if team_ids is not None:
        teams = _teams_of_organization(staff.organization, team_ids)
        old = sorted(t.name for t in staff.teams.all())
        new = sorted(t.name for t in teams)
        if old != new:
            staff.teams.set(teams)
            changes["teams"] = [old, new]
    if changes:
        audit.record(
            actor=acting_user,
            organization_id=staff.organization_id,
            verb="staff.updated",
            obj=staff,
            changes=changes,
        )
    return staff


@transaction.atomic
def set_own_language(*, acting_user: Any, language: str) -> None:
    staff = Staff.objects.filter(user=acting_user).first()
    if staff is not None and language in dict(Staff._meta.get_field("language").choices or []):
        staff.language = language
        staff.save(update_fields=["language"])


# Customers ----------------------------------------------------------------------------------------------


@transaction.atomic
def create_customer(*, acting_user: Any, organization: Organization | None = None, **fields: Any) -> Customer:
    if acting_user is not None:
        organization = require(acting_user, "customer.manage").organization
    customer = Customer(organization=organization)
    apply_changes(customer, CUSTOMER_FIELDS, fields)
    customer.name = (customer.name or "").strip()
    check(customer)
    customer.save()
    audit.record(
        actor=acting_user,
        organization_id=customer.organization_id,
        verb="customer.created",
        obj=customer,
        changes=audit.snapshot(customer, ("name", "email", "preferred_language")),
    )
    return customer


@transaction.atomic
def update_customer(
    *, acting_user: Any, customer: Customer, expected_version: int | None = None, **changes: Any
) -> Customer:
    require(acting_user, "customer.manage")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    check_version(customer, expected_version)
    changed = apply_changes(customer, CUSTOMER_FIELDS, changes)
    customer.name = customer.name.strip()
    check(customer)
    if changed:
        customer.version = F("version") + 1
        customer.save(update_fields=[*changed, "version", "updated_at"])
        customer.refresh_from_db(fields=["version"])
        audit.record(
            actor=acting_user,
            organization_id=customer.organization_id,
            verb="customer.updated",
            obj=customer,
            changes=changed,
        )
    return customer


# Personal data ------------------------------------------------------------------------------------------


def _personal_data_customer(acting_user: Any, customer: Customer) -> Customer:
    staff = require(acting_user, "customer.personal_data")
    if customer.organization_id != staff.organization_id:
        raise Http404
    return customer


@transaction.atomic
def export_customer_data(*, acting_user: Any, customer: Customer) -> dict[str, Any]:
    """Everything held about the customer: their record, and what every registered source keeps (cases,...)."""
    from servicecycle.accounts import personal_data

    customer = _personal_data_customer(acting_user, customer)
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "organization": customer.organization.name,
        "customer": {
            "id": customer.pk,
            **audit.snapshot(customer, CUSTOMER_FIELDS),
            "created_at": customer.created_at.isoformat(),
            "updated_at": customer.updated_at.isoformat(),
        },
    }
    for source in personal_data.sources():
        data[source.name] = source.collect(customer)
    audit.record(
        actor=acting_user,
        organization_id=customer.organization_id,
        verb="customer.exported",
        obj=customer,
        changes={"sources": [source.name for source in personal_data.sources()]},
    )
    return data


@transaction.atomic
def erase_customer(*, acting_user: Any, customer: Customer, expected_version: int | None = None) -> Customer:
    """Anonymize the customer on their request: the record keeps only an id-based name, every registered source
    removes their words, contact details and files, and what statistics need stays (kinds, dates, scores)."""
    from servicecycle.accounts import personal_data

    _personal_data_customer(acting_user, customer)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    check_version(customer, expected_version)
    summary = {source.name: source.erase(customer, acting_user=acting_user) for source in personal_data.sources()}
    customer.name = personal_data.erased_name(customer)
    customer.email = customer.phone = customer.company = customer.notes = ""
    customer.consent_contact = customer.consent_surveys = customer.consent_marketing = False
    customer.version = F("version") + 1
    customer.save()
    customer.refresh_from_db()
    # the customer's own audit trail keeps the events, not the values that were erased
    for event in AuditEvent.objects.filter(object_type=customer._meta.label_lower, object_id=customer.pk):
        changes = {
            key: (personal_data.ERASED if key in ERASED_CUSTOMER_FIELDS else value)
            for key, value in (event.changes or {}).items()
        }
        AuditEvent.objects.filter(pk=event.pk).update(changes=changes, object_repr=customer.name)
    audit.record(
        actor=acting_user,
        organization_id=customer.organization_id,
        verb="customer.erased",
        obj=customer,
        changes=summary,
    )
    return customer


# API tokens ---------------------------------------------------------------------------------------------


@transaction.atomic
def create_api_token(*, acting_user: Any, name: str) -> tuple[ApiToken, str]:
    """A new personal token; the raw value is returned once and never stored."""
    staff = require(acting_user, "view")
    name = name.strip()
    if not name:
        raise fail("name", _("Give the token a name, for example the tool that will use it."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(staff=staff, name=name[:100], prefix=raw[:10], key_hash=hash_token(raw))
    audit.record(
        actor=acting_user,
        organization_id=staff.organization_id,
        verb="api_token.created",
        obj=token,
        scope=staff,
    )
    return token, raw


@transaction.atomic
def revoke_api_token(*, acting_user: Any, token: ApiToken) -> ApiToken:
    staff = require(acting_user, "view")
    if token.staff_id != staff.pk and staff.role != Role.ADMIN:
        raise fail("token", _("This token is not yours."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=acting_user,
            organization_id=staff.organization_id,
            verb="api_token.revoked",
            obj=token,
            scope=token.staff,
        )
    return token


def authenticate_token(raw: str) -> Staff | None:
    """The staff member a raw token belongs to, when the token is known, not revoked and its login active."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    # the hash is unique: no ORDER BY (first() adds one), which is a quarter of this query's cost to build
    found = list(
        ApiToken.objects.select_related("staff__user", "staff__organization").filter(
            key_hash=hash_token(raw), revoked_at__isnull=True, staff__user__is_active=True
        )[:1]
    )
    if not found:
        return None
    token = found[0]
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.staff
