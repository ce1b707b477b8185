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


def test_a_russian_sentence_ending_in_a_date_ends_in_one_full_stop() -> None:
    from django.template import Context, Template

    with translation.override("ru"):
        text = Template(
            '{% load i18n %}{% blocktranslate with day=d|date:"DATE_FORMAT" %}'
            "Next refresher due {{ day }}.{% endblocktranslate %}"
        ).render(Context({"d": MOMENT.date()}))
    assert text.endswith("6 декабря 2026."), text
