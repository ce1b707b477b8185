"""Writes behind the staff inbox and the case configuration pages: priority from the inbox row, bulk assign and
close (each row on its own, reported row by row), saved views, category renaming, reply templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.accounts.models import LANGUAGE_CHOICES
from servicecycle.accounts.permissions import require
from servicecycle.cases.actions._common import allow, locked, require_worker, save_step
from servicecycle.cases.actions.handling import assign, close
from servicecycle.cases.models import Case, Category, Priority, ReplyTemplate, SavedView
from servicecycle.core import audit
from servicecycle.core.changes import check_version
from servicecycle.core.errors import DomainError
from servicecycle.core.validation import check, fail

MAX_BULK = 200
LANGUAGES = frozenset(code for code, _label in LANGUAGE_CHOICES)


def _text(value: Any) -> str:
    return str(value or "").strip()


@transaction.atomic
def set_priority(*, acting_user: Any, case: Case, priority: str, expected_version: int | None = None) -> Case:
    """Change only the priority of an open case (from the inbox row); the SLA deadlines follow the new policy."""
    case = locked(case)
    require_worker(acting_user, case)
    check_version(case, expected_version)
    allow(case, "assign")  # while open and not yet communicated, like re-assigning
    priority = _text(priority)
    if priority not in Priority.values:
        raise fail("priority", _("Choose a priority."))
    if priority == case.priority:
        return case
    old = case.priority
    case.priority = priority
    return save_step(
        acting_user=acting_user,
        case=case,
        verb="case.priority_changed",
        changes={"priority": [old, priority]},
        now=timezone.now(),
        fields=["priority"],
    )


# Bulk ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkRow:
    """What happened to one selected case: done, or why not."""

    case_id: int
    reference: str
    ok: bool
    message: str


def _ids(values: Any) -> list[int]:
    ids: list[int] = []
    for value in values or []:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise fail("case", _("The selection could not be read; select the cases again.")) from None
        if number not in ids:
            ids.append(number)
    if not ids:
        raise fail("case", _("Select at least one case."))
    if len(ids) > MAX_BULK:
        raise fail("case", _("Select at most %(n)d cases at a time.") % {"n": MAX_BULK})
    return ids


def bulk_update(
    *,
    acting_user: Any,
    case_ids: Any,
    operation: str,
    assignee_id: Any = None,
    team_id: Any = None,
    outcome: str = "",
    remedy: str = "",
) -> list[BulkRow]:
    """Assign or close each selected case through the single-case action, each in its own transaction, so one
    refusal (wrong state, missing outcome) leaves the others done; the answer says per row what happened.

    ``operation`` "assign" needs an assignee and/or team; "close" closes suggestions, compliments and questions
    as they are, and complaints and claims only when their response was communicated and an outcome is given.
    """
    staff = require(acting_user, "case.work")
    if operation not in ("assign", "close"):
        raise fail("operation", _("Choose what to do with the selected cases."))
    ids = _ids(case_ids)
    if operation == "assign" and assignee_id in (None, "") and team_id in (None, ""):
        raise fail("assignee", _("Choose who handles the cases, or which team does."))
    found = {c.pk: c for c in Case.objects.filter(pk__in=ids, organization_id=staff.organization_id)}
    rows: list[BulkRow] = []
    for case_id in ids:
        case = found.get(case_id)
        if case is None:
            rows.append(BulkRow(case_id, "", False, _("No such case in your organization.")))
            continue
        try:
            if operation == "assign":
                assign(acting_user=acting_user, case=case, assignee_id=assignee_id, team_id=team_id)
            else:
                close(acting_user=acting_user, case=case, outcome=outcome, remedy=remedy)
        except DomainError as exc:
            rows.append(BulkRow(case_id, case.reference, False, exc.message))
        else:
            rows.append(BulkRow(case_id, case.reference, True, _("Done.")))
    return rows


# Saved views ----------------------------------------------------------------------------------------------------


@transaction.atomic
def save_view(*, acting_user: Any, name: str, query: str, shared: bool = False) -> SavedView:
    """Keep the inbox's current filters under a name, for oneself or shared with the organization."""
    staff = require(acting_user, "case.view")
    view = SavedView(
        organization_id=staff.organization_id,
        owner=staff,
        name=_text(name),
        query=_text(query).lstrip("?"),
        shared=bool(shared),
    )
    if not view.name:
        raise fail("name", _("Give the view a name."))
    if SavedView.objects.filter(owner=staff, name__iexact=view.name).exists():
        raise fail("name", _("You already have a view with this name."))
    check(view, exclude=["organization", "owner"])
    view.save()
    audit.record(
        actor=acting_user,
        organization_id=staff.organization_id,
        verb="saved_view.created",
        obj=view,
        changes={"name": view.name, "query": view.query, "shared": view.shared},
    )
    return view


@transaction.atomic
def delete_view(*, acting_user: Any, view_id: Any) -> None:
    """Delete one of one's own saved views (somebody else's, even shared, is a 404)."""
    staff = require(acting_user, "case.view")
    try:
        view = SavedView.objects.get(pk=int(view_id), owner=staff)
    except (SavedView.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    audit.record(
        actor=acting_user, organization_id=staff.organization_id, verb="saved_view.deleted", obj=view, changes={}
    )
    view.delete()


# Categories ---------------------------------------------------------------------------------------------------


@transaction.atomic
def update_category(*, acting_user: Any, category_id: Any, name: str, is_active: bool) -> Category:
    """Rename a category or take it out of use (cases keep it; new assessments can no longer choose it)."""
    staff = require(acting_user, "case.configure")
    try:
        category = Category.objects.select_for_update().get(pk=int(category_id), organization=staff.organization)
    except (Category.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    name = _text(name)
    if not name:
        raise fail("name", _("Give the category a name."))
    if Category.objects.filter(organization=staff.organization, name__iexact=name).exclude(pk=category.pk).exists():
        raise fail("name", _("A category with this name already exists."))
    before = audit.snapshot(category, ("name", "is_active"))
    category.name, category.is_active = name, bool(is_active)
    check(category, exclude=["organization"])
    changes = audit.diff(before, audit.snapshot(category, ("name", "is_active")))
    if changes:
        category.save(update_fields=["name", "is_active"])
        audit.record(
            actor=acting_user,
            organization_id=staff.organization_id,
            verb="case_category.updated",
            obj=category,
            changes=changes,
        )
    return category


# Reply templates ------------------------------------------------------------------------------------------------


def _template_fields(name: Any, language: Any, body: Any) -> dict[str, str]:
    fields = {"name": _text(name), "language": _text(language), "body": _text(body)}
    if not fields["name"]:
        raise fail("name", _("Give the template a name."))
    if fields["language"] not in LANGUAGES:
        raise fail("language", _("Choose the language the template is written in."))
    if not fields["body"]:
        raise fail("body", _("Write the text of the template."))
    return fields


def _unique_template(organization_id: int, fields: dict[str, str], exclude_id: int | None = None) -> None:
    clash = ReplyTemplate.objects.filter(
        organization_id=organization_id, name__iexact=fields["name"], language=fields["language"]
    )
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise fail("name", _("A template with this name already exists in this language."))


@transaction.atomic
def create_reply_template(*, acting_user: Any, name: str, language: str, body: str) -> ReplyTemplate:
    """A ready answer in one language that agents start public replies from."""
    staff = require(acting_user, "case.configure")
    fields = _template_fields(name, language, body)
    _unique_template(staff.organization_id, fields)
    template = ReplyTemplate(organization_id=staff.organization_id, **fields)
    check(template, exclude=["organization"])
    template.save()
    audit.record(
        actor=acting_user,
        organization_id=staff.organization_id,
        verb="reply_template.created",
        obj=template,
        changes=fields,
    )
    return template


@transaction.atomic
def update_reply_template(
    *,
    acting_user: Any,
    template_id: Any,
    name: str,
    language: str,
    body: str,
    is_active: bool = True,
    expected_version: int | None = None,
) -> ReplyTemplate:
    """Edit a reply template, or take it out of use; two editors do not overwrite each other (version)."""
    staff = require(acting_user, "case.configure")
    try:
        template = ReplyTemplate.objects.select_for_update().get(
            pk=int(template_id), organization_id=staff.organization_id
        )
    except (ReplyTemplate.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    check_version(template, expected_version)
    fields: dict[str, Any] = {**_template_fields(name, language, body), "is_active": bool(is_active)}
    _unique_template(staff.organization_id, fields, exclude_id=template.pk)
    before = audit.snapshot(template, fields)
    for key, value in fields.items():
        setattr(template, key, value)
    changes = audit.diff(before, audit.snapshot(template, fields))
    if changes:
        template.version += 1
        template.save(update_fields=[*fields, "version"])
        audit.record(
            actor=acting_user,
            organization_id=staff.organization_id,
            verb="reply_template.updated",
            obj=template,
            changes=changes,
        )
    return template
