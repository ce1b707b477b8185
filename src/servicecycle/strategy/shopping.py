"""Comparison shopping: mystery-shopping audits of our outlets and competitors' against the service's cycle.

An audit is one visit to one outlet. The checklist is the service's moments of truth, each with its standard;
the shopper scores each moment they went through from 1 (far below the standard) to 5 (well above it), with a
note, and may add photos. Writes go through ``record_audit`` (everything is checked before anything is saved);
reads are ``audits_of``, ``get_audit_for_user`` and ``comparison`` (our mean against each competitor's per
moment, one aggregate query), which also feeds the strategy worksheet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Avg, Count, QuerySet
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.accounts.permissions import require
from servicecycle.cases.actions.attachments import TYPES, detect, max_bytes, max_files
from servicecycle.catalog.models import Service
from servicecycle.core import audit
from servicecycle.core.errors import ValidationFailed
from servicecycle.cycles.models import Moment
from servicecycle.strategy.models import (
    SHOPPING_SCORE_MAX,
    SHOPPING_SCORE_MIN,
    ShoppingAudit,
    ShoppingPhoto,
    ShoppingScore,
)

PHOTO_KINDS = ("jpeg", "png", "webp", "gif")
PHOTO_LABEL = "JPEG, PNG, WebP, GIF"
PHOTOS_FIELD = "photos"
SCORES_FIELD = "scores"


def score_field(moment_id: int) -> str:
    """The form field (and error key) of one moment's score."""
    return f"score_{moment_id}"


def note_field(moment_id: int) -> str:
    return f"note_{moment_id}"


@dataclass(frozen=True)
class ScoreInput:
    """One line of the checklist as the shopper filled it in: the moment and its score (text as typed)."""

    moment_id: Any
    score: Any
    note: str = ""


@dataclass(frozen=True)
class CheckedPhoto:
    upload: UploadedFile
    name: str
    kind: str


def check_photos(files: Sequence[UploadedFile | None]) -> list[CheckedPhoto]:
    """Check each photo by its content (a picture Pillow can read, within the size limit and matching its name).

    The limits are the case attachments' (``CASE_ATTACHMENT_MAX_BYTES`` per file, ``CASE_ATTACHMENT_MAX_FILES``
    per audit); raises one ValidationFailed on ``photos`` naming every bad file and why.
    """
    uploads = [f for f in files if f is not None]
    errors: list[str] = []
    if len(uploads) > max_files():
        errors.append(
            _("You can add at most %(count)d photos to an audit; you chose %(chosen)d.")
            % {"count": max_files(), "chosen": len(uploads)}
        )
    checked: list[CheckedPhoto] = []
    for upload in uploads:
        name = (PurePath(str(upload.name or "photo")).name.strip() or "photo")[:255]
        size = upload.size or 0
        if size == 0:
            errors.append(_("“%(name)s” is empty.") % {"name": name})
            continue
        if size > max_bytes():
            errors.append(
                _("“%(name)s” is %(size)s; each photo can be at most %(limit)s.")
                % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(max_bytes())}
            )
            continue
        kind = detect(upload)
        if kind not in PHOTO_KINDS:
            errors.append(_("“%(name)s” is not a photo. Accepted: %(types)s.") % {"name": name, "types": PHOTO_LABEL})
            continue
        assert kind is not None
        suffix = PurePath(name).suffix.lower()
        if suffix not in TYPES[kind][2]:
            errors.append(
                _("The content of “%(name)s” does not match its name (%(suffix)s). Accepted: %(types)s.")
                % {"name": name, "suffix": suffix or "—", "types": PHOTO_LABEL}
            )
            continue
        checked.append(CheckedPhoto(upload=upload, name=name, kind=kind))
    if errors:
        raise ValidationFailed({PHOTOS_FIELD: errors})
    return checked


def _text(errors: dict[str, list[str]], name: str, value: Any, limit: int, *, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors.setdefault(name, []).append(_("This field is required."))
    elif len(text) > limit:
        errors.setdefault(name, []).append(
            _("Keep it to %(limit)d characters (it has %(n)d).") % {"limit": limit, "n": len(text)}
        )
    return text


def _scores(
    errors: dict[str, list[str]], service: Service, scores: Sequence[ScoreInput]
) -> list[tuple[Moment, int, str]]:
    """Check each score line: a moment of this service's cycle, once, with a whole score on the scale."""
    moments = {m.pk: m for m in Moment.objects.filter(service=service)}
    clean: list[tuple[Moment, int, str]] = []
    seen: set[int] = set()
    for line in scores:
        try:
            moment_id = int(line.moment_id)
        except (TypeError, ValueError):
            moment_id = -1
        moment = moments.get(moment_id)
        if moment is None:
            errors.setdefault(SCORES_FIELD, []).append(
                _("Moment %(moment)s is not in the cycle of %(service)s.")
                % {"moment": line.moment_id, "service": service.name}
            )
            continue
        if moment_id in seen:
            errors.setdefault(SCORES_FIELD, []).append(_("%(moment)s is scored twice.") % {"moment": moment.name})
            continue
        seen.add(moment_id)
        raw = str(line.score if line.score is not None else "").strip()
        note = str(line.note or "").strip()
        if raw == "":
            if note:
                errors.setdefault(score_field(moment_id), []).append(
                    _("Give %(moment)s a score, or clear its note.") % {"moment": moment.name}
                )
            continue  # a moment the shopper did not go through
        try:
            score = int(raw)
        except ValueError:
            score = None
        if score is None or not SHOPPING_SCORE_MIN <= score <= SHOPPING_SCORE_MAX:
            errors.setdefault(score_field(moment_id), []).append(
                _("The score of %(moment)s must be a whole number from %(low)d to %(high)d, not %(value)s.")
                % {"moment": moment.name, "low": SHOPPING_SCORE_MIN, "high": SHOPPING_SCORE_MAX, "value": raw}
            )
            continue
        if len(note) > 500:
            errors.setdefault(note_field(moment_id), []).append(
                _("Keep it to %(limit)d characters (it has %(n)d).") % {"limit": 500, "n": len(note)}
            )
            continue
        clean.append((moment, score, note))
    if not clean and not any(key.startswith("score_") for key in errors) and SCORES_FIELD not in errors:
        errors.setdefault(SCORES_FIELD, []).append(_("Score at least one moment of truth."))
    return clean


@transaction.atomic
def record_audit(
    *,
    acting_user: Any,
    service: Service,
    outlet_name: str,
    competitor_name: str = "",
    visited_on: dt.date | None,
    shopper: str,
    notes: str = "",
    scores: Sequence[ScoreInput],
    photos: Sequence[UploadedFile] = (),
) -> ShoppingAudit:
    """Record one visit: the outlet (ours when ``competitor_name`` is empty), the scores per moment and photos.

    Every field, score line and photo is checked first; on any error nothing is saved and ValidationFailed
    names each field at fault (``score_<moment id>`` for a score, ``scores`` for the checklist as a whole,
    ``photos`` for the files).
    """
    staff = require(acting_user, "shopping.record")
    if service.organization_id != staff.organization_id:
        raise Http404
    errors: dict[str, list[str]] = {}
    outlet = _text(errors, "outlet_name", outlet_name, 160, required=True)
    competitor = _text(errors, "competitor_name", competitor_name, 120, required=False)
    shopper_name = _text(errors, "shopper", shopper, 160, required=True)
    notes_text = _text(errors, "notes", notes, 5000, required=False)
    if visited_on is None:
        errors.setdefault("visited_on", []).append(_("This field is required."))
    elif visited_on > timezone.localdate():
        errors.setdefault("visited_on", []).append(_("The visit cannot be in the future."))
    clean = _scores(errors, service, scores)
    try:
        checked = check_photos(list(photos))
    except ValidationFailed as exc:
        errors.update(exc.errors)
        checked = []
    if errors:
        raise ValidationFailed(errors)
    assert visited_on is not None
    record = ShoppingAudit.objects.create(
        service=service,
        outlet_name=outlet,
        competitor_name=competitor,
        visited_on=visited_on,
        shopper=shopper_name,
        notes=notes_text,
        recorded_by=acting_user,
    )
    ShoppingScore.objects.bulk_create(
        ShoppingScore(audit=record, moment=moment, score=score, note=note) for moment, score, note in clean
    )
    stored: list[ShoppingPhoto] = []
    try:
        for item in checked:
            photo = ShoppingPhoto(
                audit=record, original_name=item.name, content_type=TYPES[item.kind][0], size=item.upload.size or 0
            )
            item.upload.seek(0)
            photo.file.save(f"photo{TYPES[item.kind][1]}", item.upload, save=False)
            photo.save()
            stored.append(photo)
    except Exception:
        for photo in stored:
            photo.file.delete(save=False)
        raise
    audit.record(
        actor=acting_user,
        organization_id=service.organization_id,
        verb="shopping.audit_recorded",
        obj=record,
        scope=service,
        changes={
            "outlet_name": outlet,
            "competitor_name": competitor,
            "visited_on": visited_on,
            "shopper": shopper_name,
            "scores": {moment.name: score for moment, score, _note in clean},
            "photos": [p.original_name for p in stored],
        },
    )
    return record


# --- reads ---------------------------------------------------------------------------------------------------


def audits_of(service: Service) -> QuerySet[ShoppingAudit]:
    """The service's audits, newest visit first, with how many moments each scored and its mean (one query)."""
    return (
        ShoppingAudit.objects.filter(service=service)
        .annotate(scored=Count("scores"), mean_score=Avg("scores__score"))
        .order_by("-visited_on", "-id")
    )


def get_audit_for_user(user: Any, service: Service, audit_id: Any) -> ShoppingAudit:
    """One audit of the service (the service is already checked against the user's organization), or 404."""
    try:
        return ShoppingAudit.objects.select_related("recorded_by").get(pk=int(audit_id), service=service)
    except (ShoppingAudit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass(frozen=True)
class Mean:
    mean: float
    count: int


@dataclass
class MomentComparison:
    moment: Moment
    ours: Mean | None
    competitors: dict[str, Mean] = field(default_factory=dict)


@dataclass(frozen=True)
class Comparison:
    """Per moment of the cycle: our mean score and each competitor's, with how many scores each rests on."""

    competitors: tuple[str, ...]
    rows: tuple[MomentComparison, ...]
    scored: bool

    @property
    def empty(self) -> bool:
        return not self.scored

    def overall(self, competitor: str | None) -> Mean | None:
        """The mean over every score of ours (None) or of one competitor, weighted by the scores' counts."""
        means = [r.ours if competitor is None else r.competitors.get(competitor) for r in self.rows]
        present = [m for m in means if m is not None]
        total = sum(m.count for m in present)
        if not total:
            return None
        return Mean(mean=sum(m.mean * m.count for m in present) / total, count=total)


def comparison(service: Service, moments: Sequence[Moment], since: dt.date | None = None) -> Comparison:
    """Our mean against each competitor's per moment: one GROUP BY (moment, competitor) query over the scores.

    ``moments`` is the cycle in order (as the page already has it); ``since`` narrows to visits on or after it.
    """
    scores = ShoppingScore.objects.filter(audit__service=service)
    if since is not None:
        scores = scores.filter(audit__visited_on__gte=since)
    rows = list(
        scores.values("moment_id", "audit__competitor_name")
        .annotate(mean=Avg("score"), n=Count("id"))
        .order_by("moment_id", "audit__competitor_name")
    )
    by_moment: dict[int, MomentComparison] = {m.pk: MomentComparison(moment=m, ours=None) for m in moments}
    competitors: set[str] = set()
    for row in rows:
        line = by_moment.get(row["moment_id"])
        if line is None:
            continue
        mean = Mean(mean=float(row["mean"]), count=row["n"])
        name = row["audit__competitor_name"]
        if name:
            competitors.add(name)
            line.competitors[name] = mean
        else:
            line.ours = mean
    return Comparison(
        competitors=tuple(sorted(competitors, key=str.casefold)),
        rows=tuple(by_moment[m.pk] for m in moments),
        scored=bool(rows),
    )
