"""Every write to demand histories and life-cycle stage changes goes through these functions."""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.accounts.permissions import require
from servicecycle.catalog.models import Service
from servicecycle.core import audit
from servicecycle.core.errors import ValidationFailed
from servicecycle.core.validation import fail
from servicecycle.strategy import assessment
from servicecycle.strategy.models import (
    DemandHistory,
    DemandPeriod,
    SelfAssessment,
    SelfAssessmentAnswer,
    StageChange,
    parse_period,
)
from servicecycle.strategy.queries import compute_lifecycle, evidence_period

MAX_REPORTED_ERRORS = 20
_MAX_DEMAND = Decimal("1e14")  # 16 digits, 2 of them decimals
_FILE_COLUMNS = ("period", "demand")


@dataclass(frozen=True)
class DemandRow:
    """One period of demand as the user gave it; ``row`` is the number the user sees (line or file row)."""

    row: int
    period: Any
    demand: Any


@dataclass(frozen=True)
class HistorySaved:
    periods: int
    stage: str | None
    change: StageChange | None


def _row_error(row: int, field: str, message: str) -> str:
    return _("row %(row)s, %(field)s: %(message)s") % {"row": row, "field": field, "message": message}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _demand(row: int, value: Any, errors: list[str]) -> Decimal | None:
    if _blank(value):
        errors.append(_row_error(row, "demand", _("is missing")))
        return None
    text = str(value).strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors.append(_row_error(row, "demand", _("%(value)s is not a number") % {"value": text}))
        return None
    if number < 0:
        errors.append(_row_error(row, "demand", _("must not be negative")))
        return None
    if number >= _MAX_DEMAND:
        errors.append(_row_error(row, "demand", _("is too large")))
        return None
    return number.quantize(Decimal("0.01"))


def validate_rows(rows: Sequence[DemandRow]) -> list[tuple[str, Decimal]]:
    """(period, demand) in time order, or ValidationFailed listing every row and field at fault."""
    errors: list[str] = []
    clean: list[tuple[str, Decimal]] = []
    first: tuple[str, int, str] | None = None  # (form, row, label) of the first period
    seen: dict[str, int] = {}
    previous: tuple[int, int, str] | None = None  # (index, row, label)
    for r in rows:
        label: str | None = None
        problem: str | None = None
        parsed = None if _blank(r.period) else parse_period(str(r.period))
        if _blank(r.period):
            problem = _("is missing")
        elif parsed is None:
            problem = _("%(value)s is not a year (2024), half (2024-H1), quarter (2024-Q3) or month (2024-03)") % {
                "value": str(r.period).strip()
            }
        else:
            form, index, label = parsed
            first = first or (form, r.row, label)
            if form != first[0]:
                problem = _("%(value)s is not the same kind of period as %(first)s in row %(row)s") % {
                    "value": label,
                    "first": first[2],
                    "row": first[1],
                }
            elif label in seen:
                problem = _("%(value)s appears twice (also in row %(row)s)") % {"value": label, "row": seen[label]}
            else:
                seen[label] = r.row
                if previous is not None and index < previous[0]:
                    problem = _("%(value)s comes before %(previous)s in row %(row)s: list periods in time order") % {
                        "value": label,
                        "previous": previous[2],
                        "row": previous[1],
                    }
                previous = (index, r.row, label)
        if problem is not None:
            errors.append(_row_error(r.row, "period", problem))
            label = None
        demand = _demand(r.row, r.demand, errors)
        if label is not None and demand is not None:
            clean.append((label, demand))
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        if len(errors) > MAX_REPORTED_ERRORS:
            shown.append(_("… and %(n)s more errors") % {"n": len(errors) - MAX_REPORTED_ERRORS})
        raise ValidationFailed({"rows": shown})
    return clean


@transaction.atomic
def set_demand_history(
    *,
    acting_user: Any,
    service: Service,
    rows: Sequence[DemandRow],
    from_launch: bool | None = None,
    source: str = DemandPeriod.Source.ENTERED,
) -> HistorySaved:
    """Replace the service's demand history with ``rows`` after checking every row; nothing is saved on any error.

    When the new history moves the service to another life-cycle stage, the change is recorded and the
    service's owner team is notified (for now an audit event naming the team).
    """
    staff = require(acting_user, "service.manage")
    if service.organization_id != staff.organization_id:
        raise Http404
    if source not in DemandPeriod.Source.values:
        raise fail("source", _("Unknown source of demand data."))
    clean = validate_rows(rows)
    service = Service.objects.select_for_update().select_related("owner_team").get(pk=service.pk)
    history, _created = DemandHistory.objects.get_or_create(service=service)
    before = {p: str(d) for p, d in DemandPeriod.objects.filter(service=service).values_list("period", "demand")}
    old_from_launch = history.from_launch
    if from_launch is not None and from_launch != history.from_launch:
        history.from_launch = from_launch
    history.save(update_fields=["from_launch", "updated_at"])
    DemandPeriod.objects.filter(service=service).delete()
    DemandPeriod.objects.bulk_create(
        DemandPeriod(service=service, position=i, period=p, demand=d, source=source)
        for i, (p, d) in enumerate(clean, start=1)
    )
    after = {p: str(d) for p, d in clean}
    changes: dict[str, Any] = {
        "source": source,
        "periods": [len(before), len(after)],
        "demand": {k: [before.get(k), after.get(k)] for k in {**before, **after} if before.get(k) != after.get(k)},
    }
    if old_from_launch != history.from_launch:
        changes["from_launch"] = [old_from_launch, history.from_launch]
    audit.record(
        actor=acting_user,
        organization_id=service.organization_id,
        verb="demand.history_set",
        obj=history,
        scope=service,
        changes=changes,
    )
    result, _reason = compute_lifecycle(clean, from_launch=history.from_launch)
    stage = result.stage if result is not None else None
    change = None
    if result is not None and stage is not None:
        change = _record_stage_change(acting_user, service, stage, evidence_period(result) or clean[-1][0])
    return HistorySaved(periods=len(clean), stage=stage, change=change)


def _record_stage_change(acting_user: Any, service: Service, stage: str, evidence: str) -> StageChange | None:
    """Record a move to ``stage`` when it differs from the last recorded stage, and notify the owner team."""
    last = StageChange.objects.filter(service=service).order_by("-at", "-id").first()
    previous = last.to_stage if last is not None else ""
    if previous == stage:
        return None
    user = acting_user if getattr(acting_user, "is_authenticated", False) else None
    change = StageChange.objects.create(
        service=service, from_stage=previous, to_stage=stage, evidence_period=evidence, changed_by=user
    )
    audit.record(
        actor=acting_user,
        organization_id=service.organization_id,
        verb="stage.changed",
        obj=change,
        scope=service,
        changes={"stage": [previous, stage], "evidence_period": evidence},
    )
    # The owner team is told through the audit trail for now; an e-mail to the team follows with the mail outbox.
    audit.record(
        actor=acting_user,
        organization_id=service.organization_id,
        verb="stage.owner_notified",
        obj=change,
        scope=service,
        changes={"owner_team": service.owner_team.name, "owner_team_id": service.owner_team_id, "stage": stage},
    )
    return change


def rows_from_file(filename: str, content: bytes) -> list[DemandRow]:
    """Rows of a CSV or XLSX file with the columns period and demand, numbered as the file's own rows."""
    import polars as pl  # imported here: only uploads need it

    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".csv":
        text = content.removeprefix(b"\xef\xbb\xbf")
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError:
            raise fail("file", _("The file is not UTF-8 text: save it as CSV UTF-8 and upload it again.")) from None
        header = decoded.split("\n", 1)[0]
        separator = ";" if header.count(";") > header.count(",") else ","
        try:
            frame = pl.read_csv(io.BytesIO(text), infer_schema=False, separator=separator)
        except pl.exceptions.PolarsError:
            raise fail(
                "file", _("The file cannot be read as CSV: check that every row has the same columns.")
            ) from None
    elif suffix == ".xlsx":
        try:
            frame = pl.read_excel(io.BytesIO(content), infer_schema_length=0)
        except Exception:  # any reader failure means the same thing to the user
            raise fail("file", _("The file cannot be read as an XLSX workbook.")) from None
    else:
        raise fail("file", _("Upload a .csv or .xlsx file."))
    columns = {str(name).strip().lower(): name for name in frame.columns}
    for column in _FILE_COLUMNS:
        if column not in columns:
            raise fail(
                "file",
                _("The file has no %(column)s column: its first row must name the columns period and demand.")
                % {"column": column},
            )
    periods = frame.get_column(columns["period"]).cast(pl.String).to_list()
    demands = frame.get_column(columns["demand"]).cast(pl.String).to_list()
    return [
        DemandRow(row=index + 2, period=period, demand=demand)  # row 1 is the header
        for index, (period, demand) in enumerate(zip(periods, demands, strict=True))
        if not (_blank(period) and _blank(demand))
    ]


def import_demand_file(
    *, acting_user: Any, service: Service, filename: str, content: bytes, from_launch: bool | None = None
) -> HistorySaved:
    """Replace the demand history with the rows of an uploaded CSV or XLSX file."""
    require(acting_user, "service.manage")
    return set_demand_history(
        acting_user=acting_user,
        service=service,
        rows=rows_from_file(filename, content),
        from_launch=from_launch,
        source=DemandPeriod.Source.IMPORTED,
    )


def validate_answers(answers: Mapping[str, Any]) -> dict[str, int]:
    """One whole-number score on the scale per item, or ValidationFailed naming every item at fault."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for item in assessment.ITEMS:
        value = answers.get(item.key)
        if _blank(value):
            errors[item.key] = [_("“%(item)s”: choose an answer.") % {"item": item.text}]
            continue
        text = str(value).strip()
        try:
            score = int(text)
        except ValueError:
            score = None
        if score is None or score not in assessment.SCALE:
            errors[item.key] = [
                _("“%(item)s”: %(value)s is not on the scale from %(low)s to %(high)s.")
                % {"item": item.text, "value": text, "low": assessment.SCALE_MIN, "high": assessment.SCALE_MAX}
            ]
            continue
        clean[item.key] = score
    unknown = sorted(str(key) for key in answers if key not in assessment.ITEM_BY_KEY)
    if unknown:
        errors["__all__"] = [_("Unknown items: %(items)s.") % {"items": ", ".join(unknown)}]
    if errors:
        raise ValidationFailed(errors)
    return clean


@transaction.atomic
def record_self_assessment(
    *,
    acting_user: Any,
    answers: Mapping[str, Any],
    taken_on: dt.date | None = None,
    service: Service | None = None,
) -> SelfAssessment:
    """Save a self-assessment of the organization (or of one of its services) with its answers and totals.

    Every item must be answered on the scale; nothing is saved on any error.
    """
    staff = require(acting_user, "service.manage")
    if service is not None and service.organization_id != staff.organization_id:
        raise Http404
    today = timezone.localdate()
    if taken_on is None:
        taken_on = today
    elif taken_on > today:
        raise fail("taken_on", _("The date of an assessment cannot be in the future."))
    clean = validate_answers(answers)
    totals = assessment.totals(clean)
    record = SelfAssessment.objects.create(
        organization_id=staff.organization_id,
        service=service,
        taken_on=taken_on,
        taken_by=staff,
        need_total=totals["need"],
        competitors_total=totals["competitors"],
        expectations_total=totals["expectations"],
        total=totals["overall"],
    )
    SelfAssessmentAnswer.objects.bulk_create(
        SelfAssessmentAnswer(assessment=record, item=key, score=clean[key]) for key in assessment.ITEM_KEYS
    )
    audit.record(
        actor=acting_user,
        organization_id=staff.organization_id,
        verb="self_assessment.recorded",
        obj=record,
        scope=service,
        changes={"taken_on": taken_on, "service": service, "answers": clean, "totals": totals},
    )
    return record
