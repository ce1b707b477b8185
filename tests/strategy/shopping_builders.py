"""Comparison-shopping audits for tests, recorded through the action as a user would."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from servicecycle.strategy import shopping
from servicecycle.strategy.models import ShoppingAudit
from tests.factories import World


def png(name: str = "shelf.png", size: tuple[int, int] = (8, 6)) -> SimpleUploadedFile:
    """A real (tiny) PNG picture."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def audit(
    w: World,
    scores: list[int | None] | None = None,
    *,
    competitor: str = "",
    photos: list[Any] | None = None,
    visited_on: dt.date | None = None,
    by: Any = None,
    outlet: str = "North branch",
) -> ShoppingAudit:
    """An audit of the world's service scoring its moments in order (None: the moment was not seen)."""
    values = scores if scores is not None else [4, 3, 5]
    return shopping.record_audit(
        acting_user=(by or w.manager).user,
        service=w.service,
        outlet_name=outlet,
        competitor_name=competitor,
        visited_on=visited_on or timezone.localdate(),
        shopper="Mia Shopper",
        notes="Busy Saturday morning.",
        scores=[
            shopping.ScoreInput(moment_id=m.pk, score="" if v is None else v, note="" if v is None else f"note {i}")
            for i, (m, v) in enumerate(zip(w.moments, values, strict=False), start=1)
        ],
        photos=photos or [],
    )


def matrix_url(name: str, w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """URL kwargs (and POST data) of the strategy worksheet and comparison-shopping pages for the matrix."""
    kwargs: dict[str, Any] = {"pk": w.service.pk}
    if name in ("shopping-detail", "shopping-photo"):
        record = audit(w, photos=[png()] if name == "shopping-photo" else None)
        kwargs["audit_pk"] = record.pk
        if name == "shopping-photo":
            kwargs["photo_pk"] = record.photos.get().pk
    return kwargs, {}
