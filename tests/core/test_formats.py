"""Dates and times read the same way across a page, and without doubt, in every language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import formats, translation

MOMENT = datetime(2026, 12, 6, 14, 50, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "short", "time"),
    [
        ("en", "6 Dec 2026, 14:50", "14:50"),  # not 12/06/2026 2:50 p.m.: June in most of the world
        ("ms", "06/12/2026 14:50", "14:50"),  # not "2:50 malam" (night)
        ("es", "06/12/2026 14:50", "14:50"),
        ("ru", "06.12.2026 14:50", "14:50"),
    ],
)
def test_short_date_and_time_per_language(language: str, short: str, time: str) -> None:
    with translation.override(language):
        assert formats.date_format(MOMENT, "SHORT_DATETIME_FORMAT") == short
        assert formats.time_format(MOMENT.time(), "TIME_FORMAT") == time
        assert "p.m." not in formats.date_format(MOMENT, "DATETIME_FORMAT")
