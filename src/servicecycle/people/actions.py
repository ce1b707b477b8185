"""Every write of the people pages goes through these functions: checked in full before anything is saved,
in one transaction, with an entry in the audit trail."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Staff
from servicecycle.accounts.permissions import require
from servicecycle.core import audit
from servicecycle.core.errors import Conflict, ValidationFailed
from servicecycle.people.content import CRITERIA, PULSE_QUESTIONS, SCORE_MAX, SCORE_MIN
from servicecycle.people.models import (
    Candidate,
    CandidateScore,
    Course,
    PulseAnswer,
    PulseParticipation,
    PulseRound,
    TrainingRecord,
)
from servicecycle.people.queries import RATED_ROLES, is_open, org_today

MANAGE = "people.manage"
ANSWER = "people.view"


def _date(value: Any, field: str, errors: dict[str, list[str]], *, label: str, today: date) -> date | None:
    if value in (None, ""):
        errors.setdefault(field, []).append(_("%(field)s is missing.") % {"field": label})
        return None
    if isinstance(value, date):
        parsed = value
    else:
        try:
            parsed = date.fromisoformat(str(value).strip())
        except ValueError:
            errors.setdefault(field, []).append(
                _("%(field)s: %(value)s is not a date (YYYY-MM-DD).") % {"field": label, "value": value}
            )
            return None
    if parsed > today:
        errors.setdefault(field, []).append(_("%(field)s cannot be in the future.") % {"field": label})
        return None
    return parsed


def _score(value: Any, field: str, errors: dict[str, list[str]], *, label: str) -> int | None:
    try:
        number = int(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        number = None
    if number is None or str(number) != str(value).strip() or not SCORE_MIN <= number <= SCORE_MAX:
        errors.setdefault(field, []).append(
            _("%(field)s: give a whole number from %(low)s to %(high)s.")
            % {"field": label, "low": SCORE_MIN, "high": SCORE_MAX}
        )
        return None
    return number


def _member(organization_id: int, staff_id: Any) -> Staff | None:
    try:
        return Staff.objects.select_related("user").get(pk=int(staff_id), organization_id=organization_id)
    except (Staff.DoesNotExist, TypeError, ValueError):
        return None


# Selection ----------------------------------------------------------------------------------------------


@transaction.atomic
def create_candidate(
    *,
    acting_user: Any,
    name: str,
    role_applied: str,
    assessed_on: Any,
    interviewer_id: Any,
    scores: Mapping[str, Any],
    notes: Mapping[str, str] | None = None,
    overall_notes: str = "",
) -> Candidate:
    """Record a candidate's assessment: every criterion of the checklist scored 1 to 5, an optional note each."""
    staff = require(acting_user, MANAGE)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    role_applied = (role_applied or "").strip()
    if not name:
        errors["name"] = [_("Give the candidate's name.")]
    elif len(name) > 200:
        errors["name"] = [_("The name is longer than 200 characters.")]
    if not role_applied:
        errors["role_applied"] = [_("Give the role the candidate applied for.")]
    elif len(role_applied) > 120:
        errors["role_applied"] = [_("The role is longer than 120 characters.")]
    day = _date(assessed_on, "assessed_on", errors, label=_("Interview date"), today=org_today(staff.organization))
    interviewer = _member(staff.organization_id, interviewer_id)
    if interviewer is None:
        errors["interviewer"] = [_("Unknown staff member: %(value)s.") % {"value": interviewer_id}]
    unknown = sorted(set(scores) - {c.key for c in CRITERIA})
    if unknown:
        errors["scores"] = [_("Unknown criteria: %(keys)s.") % {"keys": ", ".join(unknown)}]
    clean: dict[str, int] = {}
    for criterion in CRITERIA:
        value = _score(scores.get(criterion.key), f"score_{criterion.key}", errors, label=str(criterion.title))
        if value is not None:
            clean[criterion.key] = value
    notes = notes or {}
    for key, note in notes.items():
        if len(note or "") > 500:
            errors.setdefault(f"note_{key}", []).append(_("A note is at most 500 characters."))
    if errors:
        raise ValidationFailed(errors)
    assert day is not None and interviewer is not None
    candidate = Candidate.objects.create(
        organization_id=staff.organization_id,
        name=name,
        role_applied=role_applied,
        assessed_on=day,
        interviewer=interviewer,
        notes=(overall_notes or "").strip(),
        created_by=acting_user,
    )
    CandidateScore.objects.bulk_create(
        CandidateScore(candidate=candidate, criterion=key, score=value, note=(notes.get(key) or "").strip())
        for key, value in clean.items()
    )
    audit.record(
        actor=acting_user,
        organization_id=staff.organization_id,
        verb="candidate.assessed",
        obj=candidate,
        changes={"role_applied": role_applied, "interviewer": str(interviewer), "scores": clean},
    )
    return candidate


@transaction.atomic
def delete_candidate(*, acting_user: Any, candidate: Candidate) -> None:
    """Erase a candidate and their scores (personal data, e.g. when the candidate asks or was not hired)."""
    staff = require(acting_user, MANAGE)
    if candidate.organization_id != staff.organization_id:
        raise Http404
    audit.record(actor=acting_user, organization_id=staff.organization_id, verb="candidate.deleted", obj=candidate)
    candidate.delete()


# Training -----------------------------------------------------------------------------------------------


def _course_fields(
    organization_id: int, name: str, refresher_months: Any, exclude_pk: int | None
) -> tuple[str, int | None]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the course a name.")]
    elif len(name) > 200:
        errors["name"] = [_("The name is longer than 200 characters.")]
    elif Course.objects.filter(organization_id=organization_id, name__iexact=name).exclude(pk=exclude_pk or 0).exists():
        errors["name"] = [_("A course with this name already exists.")]
    months: int | None = None
    if refresher_months not in (None, ""):
        try:
            months = int(str(refresher_months).strip())
        except ValueError:
            months = -1
        if not 1 <= months <= 120:
            errors["refresher_months"] = [_("The refresher interval is a whole number of months from 1 to 120.")]
    if errors:
        raise ValidationFailed(errors)
    return name, months


@transaction.atomic
def create_course(
    *,
    acting_user: Any,
    name: str,
    description: str = "",
    front_line_only: bool = False,
    refresher_months: Any = None,
) -> Course:
    staff = require(acting_user, MANAGE)
    name, months = _course_fields(staff.organization_id, name, refresher_months, None)
    course = Course.objects.create(
        organization_id=staff.organization_id,
        name=name,
        description=(description or "").strip(),
        front_line_only=front_line_only,
        refresher_months=months,
    )
    audit.record(
        actor=acting_user,
        organization_id=staff.organization_id,
        verb="course.created",
        obj=course,
        changes=audit.snapshot(course, ["name", "front_line_only", "refresher_months"]),
    )
    return course


_COURSE_FIELDS = ["name", "description", "front_line_only", "refresher_months", "is_active"]


@transaction.atomic
def update_course(
    *,
    acting_user: Any,
    course: Course,
    name: str,
    description: str = "",
    front_line_only: bool = False,
    refresher_months: Any = None,
    is_active: bool = True,
) -> Course:
    staff = require(acting_user, MANAGE)
    if course.organization_id != staff.organization_id:
        raise Http404
    name, months = _course_fields(staff.organization_id, name, refresher_months, course.pk)
    course = Course.objects.select_for_update().get(pk=course.pk)
    before = audit.snapshot(course, _COURSE_FIELDS)
    course.name, course.description = name, (description or "").strip()
    course.front_line_only, course.refresher_months, course.is_active = front_line_only, months, is_active
    course.save()
    changes = audit.diff(before, audit.snapshot(course, _COURSE_FIELDS))
    if changes:
        audit.record(
            actor=acting_user, organization_id=staff.organization_id, verb="course.updated", obj=course, changes=changes
        )
    return course


@transaction.atomic
def record_completions(
    *,
    acting_user: Any,
    course: Course,
    staff_ids: Sequence[Any],
    completed_on: Any,
    score: Any = None,
    passed: bool | None = None,
    notes: str = "",
) -> list[TrainingRecord]:
    """Record that several members completed a course on one day; nothing is saved when any of them is unknown,
    already has this completion, or the date or score is not acceptable."""
    staff = require(acting_user, MANAGE)
    if course.organization_id != staff.organization_id:
        raise Http404
    errors: dict[str, list[str]] = {}
    day = _date(completed_on, "completed_on", errors, label=_("Completion date"), today=org_today(staff.organization))
    numbers: dict[str, int | None] = {}
    for value in staff_ids:
        try:
            numbers[str(value)] = int(value)
        except (TypeError, ValueError):
            numbers[str(value)] = None
    wanted = [n for n in numbers.values() if n is not None]
    members = Staff.objects.filter(organization_id=staff.organization_id, pk__in=wanted).select_related("user")
    found = {m.pk: m for m in members}
    bad = [text for text, n in numbers.items() if n is None or n not in found]  # in the order given
    if bad:
        errors["staff"] = [_("Unknown staff members: %(ids)s.") % {"ids": ", ".join(bad)}]
    elif not wanted:
        errors["staff"] = [_("Pick at least one staff member.")]
    number: int | None = None
    if score not in (None, ""):
        try:
            number = int(str(score).strip())
        except ValueError:
            number = -1
        if not 0 <= number <= 100:
            errors["score"] = [_("The score is a whole percentage from 0 to 100.")]
    if len(notes or "") > 500:
        errors["notes"] = [_("Notes are at most 500 characters.")]
    if day is not None and found:
        twice = TrainingRecord.objects.filter(course=course, completed_on=day, staff_id__in=list(found))
        names = sorted(str(found[r.staff_id]) for r in twice)
        if names:
            errors.setdefault("staff", []).append(
                _("Already recorded as completed on that day: %(names)s.") % {"names": ", ".join(names)}
            )
    if errors:
        raise ValidationFailed(errors)
    assert day is not None
    people = [found[pk] for pk in dict.fromkeys(wanted)]
    records = TrainingRecord.objects.bulk_create(
        TrainingRecord(
            staff=person,
            course=course,
            completed_on=day,
            score=number,
            passed=passed,
            notes=(notes or "").strip(),
            recorded_by=acting_user,
        )
        for person in people
    )
    for person, record in zip(people, records, strict=True):
        if record.pk is None:  # backends that do not return keys from a bulk insert
            record = TrainingRecord.objects.get(staff=person, course=course, completed_on=day)
        audit.record(
            actor=acting_user,
            organization_id=staff.organization_id,
            verb="training.completed",
            obj=record,
            scope=person,
            changes={"course": course.name, "completed_on": day, "score": number, "passed": passed},
        )
    return records


# Pulse --------------------------------------------------------------------------------------------------


@transaction.atomic
def open_round(*, acting_user: Any, title: str, closes_on: Any) -> PulseRound:
    staff = require(acting_user, MANAGE)
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Give the round a title.")]
    elif len(title) > 200:
        errors["title"] = [_("The title is longer than 200 characters.")]
    today = org_today(staff.organization)
    closing: date | None = None
    try:
        closing = closes_on if isinstance(closes_on, date) else date.fromisoformat(str(closes_on or "").strip())
    except ValueError:
        errors["closes_on"] = [_("Give the closing date as YYYY-MM-DD.")]
    if closing is not None and closing < today:
        errors["closes_on"] = [_("The closing date cannot be in the past.")]
    if errors:
        raise ValidationFailed(errors)
    assert closing is not None
    pulse = PulseRound.objects.create(
        organization_id=staff.organization_id, title=title, opened_on=today, closes_on=closing, created_by=acting_user
    )
    audit.record(
        actor=acting_user,
        organization_id=staff.organization_id,
        verb="pulse.opened",
        obj=pulse,
        changes={"closes_on": closing},
    )
    return pulse


@transaction.atomic
def close_round(*, acting_user: Any, pulse: PulseRound) -> PulseRound:
    staff = require(acting_user, MANAGE)
    if pulse.organization_id != staff.organization_id:
        raise Http404
    pulse = PulseRound.objects.select_for_update().get(pk=pulse.pk)
    if pulse.closed_at is None:
        pulse.closed_at = timezone.now()
        pulse.save(update_fields=["closed_at"])
        audit.record(actor=acting_user, organization_id=staff.organization_id, verb="pulse.closed", obj=pulse)
    return pulse


@transaction.atomic
def answer_round(*, acting_user: Any, pulse: PulseRound, manager_id: Any, scores: Mapping[str, Any]) -> None:
    """Rate a manager in an open round, once per member and manager. The answer is stored without the
    respondent: only the fact that they answered is kept (and recorded in the audit trail), apart from it."""
    staff = require(acting_user, ANSWER)
    if pulse.organization_id != staff.organization_id:
        raise Http404
    pulse = PulseRound.objects.get(pk=pulse.pk)  # as stored now: it may have been closed meanwhile
    if not is_open(pulse, org_today(staff.organization)):
        raise Conflict(_("This round is closed."))
    errors: dict[str, list[str]] = {}
    manager = _member(staff.organization_id, manager_id)
    if manager is None or manager.role not in RATED_ROLES:
        errors["manager"] = [_("Unknown manager: %(value)s.") % {"value": manager_id}]
    elif manager.pk == staff.pk:
        errors["manager"] = [_("You cannot rate yourself.")]
    clean: dict[str, int] = {}
    for i, question in enumerate(PULSE_QUESTIONS, start=1):
        value = _score(scores.get(question.key), question.key, errors, label=_("Question %(n)s") % {"n": i})
        if value is not None:
            clean[question.key] = value
    if errors:
        raise ValidationFailed(errors)
    assert manager is not None
    try:
        with transaction.atomic():
            PulseParticipation.objects.create(round=pulse, respondent=staff, manager=manager)
    except IntegrityError:
        raise Conflict(_("You have already rated %(name)s in this round.") % {"name": manager}) from None
    PulseAnswer.objects.create(round=pulse, manager=manager, **clean)
    audit.record(
        actor=acting_user,
        organization_id=staff.organization_id,
        verb="pulse.answered",
        obj=pulse,
        changes={"manager": str(manager)},
    )


# Import of completions ----------------------------------------------------------------------------------

IMPORT_COLUMNS = ("staff", "course", "completed_on", "score", "passed", "notes")
MAX_IMPORT_ROWS = 5000
MAX_REPORTED_ERRORS = 20
_YES = {"yes", "y", "true", "1", "passed", "pass"}
_NO = {"no", "n", "false", "0", "failed", "fail"}


def _row_error(row: int, field: str, message: str) -> str:
    return _("row %(row)s, %(field)s: %(message)s") % {"row": row, "field": field, "message": message}


@transaction.atomic
def import_completions(*, acting_user: Any, content: bytes) -> int:
    """Record completions from a CSV file (columns staff = e-mail address, course = name, completed_on =
    YYYY-MM-DD, and optional score, passed, notes). Every row is checked first; on any error nothing is saved
    and the errors name the row and the column."""
    staff = require(acting_user, MANAGE)
    today = org_today(staff.organization)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed({"file": [_("The file is not UTF-8 text.")]}) from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in ("staff", "course", "completed_on") if c not in columns]
    if missing:
        raise ValidationFailed(
            {"file": [_("The first row must name the columns %(columns)s.") % {"columns": ", ".join(IMPORT_COLUMNS)}]}
        )
    reader.fieldnames = columns
    people = {
        s.user.email.casefold(): s
        for s in Staff.objects.filter(organization_id=staff.organization_id).select_related("user")
        if s.user.email
    }
    courses = {c.name.casefold(): c for c in Course.objects.filter(organization_id=staff.organization_id)}
    existing = set(
        TrainingRecord.objects.filter(course__organization_id=staff.organization_id).values_list(
            "staff_id", "course_id", "completed_on"
        )
    )
    errors: list[str] = []
    records: list[TrainingRecord] = []
    seen: dict[tuple[int, int, date], int] = {}
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_IMPORT_ROWS:
            errors.append(_("The file has more than %(n)s rows; split it.") % {"n": MAX_IMPORT_ROWS})
            break
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(values.values()):
            continue
        person = people.get(values.get("staff", "").casefold())
        if person is None:
            errors.append(
                _row_error(number, "staff", _("unknown staff member %(value)s") % {"value": values.get("staff")})
            )
        course = courses.get(values.get("course", "").casefold())
        if course is None:
            errors.append(_row_error(number, "course", _("unknown course %(value)s") % {"value": values.get("course")}))
        day: date | None = None
        try:
            day = date.fromisoformat(values.get("completed_on", ""))
        except ValueError:
            errors.append(
                _row_error(
                    number,
                    "completed_on",
                    _("%(value)s is not a date (YYYY-MM-DD)") % {"value": values.get("completed_on")},
                )
            )
        if day is not None and day > today:
            errors.append(_row_error(number, "completed_on", _("is in the future")))
            day = None
        score: int | None = None
        if values.get("score"):
            try:
                score = int(values["score"])
            except ValueError:
                score = -1
            if not 0 <= score <= 100:
                errors.append(_row_error(number, "score", _("give a whole percentage from 0 to 100")))
        passed: bool | None = None
        flag = values.get("passed", "").casefold()
        if flag in _YES:
            passed = True
        elif flag in _NO:
            passed = False
        elif flag:
            errors.append(
                _row_error(number, "passed", _("%(value)s is not yes or no") % {"value": values.get("passed")})
            )
        notes = values.get("notes", "")
        if len(notes) > 500:
            errors.append(_row_error(number, "notes", _("at most 500 characters")))
        if person is None or course is None or day is None:
            continue
        key = (person.pk, course.pk, day)
        if key in existing:
            errors.append(_row_error(number, "completed_on", _("already recorded for this person and course")))
        elif key in seen:
            errors.append(_row_error(number, "completed_on", _("repeats row %(row)s") % {"row": seen[key]}))
        seen[key] = number
        records.append(
            TrainingRecord(
                staff=person,
                course=course,
                completed_on=day,
                score=score,
                passed=passed,
                notes=notes,
                recorded_by=acting_user,
            )
        )
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        if len(errors) > MAX_REPORTED_ERRORS:
            shown.append(_("… and %(n)s more errors") % {"n": len(errors) - MAX_REPORTED_ERRORS})
        raise ValidationFailed({"file": shown})
    if not records:
        raise ValidationFailed({"file": [_("The file has no rows to import.")]})
    TrainingRecord.objects.bulk_create(records)
    audit.record(
        actor=acting_user,
        organization_id=staff.organization_id,
        verb="training.imported",
        obj=staff,
        changes={"records": len(records), "courses": sorted({r.course.name for r in records})},
    )
    return len(records)
