"""Form widgets for the browser's own date pickers. An ``<input type="date">`` takes its value as yyyy-mm-dd
whatever the page's language: Django's DateInput writes the language's format (07.12.2026 in Russian), which the
browser drops, so the field showed empty and a saved date was lost on the next save."""

from __future__ import annotations

from typing import Any

from django import forms

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATE_FORMAT)


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)
