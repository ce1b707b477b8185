"""Lists of records one capability shows on another's page, a page at a time.

The moment's evidence page (the complaints, promises and answers behind its health figure) and the customer's
page (their cases, promises and survey responses) are built from such lists. Each capability registers a
function that returns one ``RecordList`` for a page of its records; the page that shows them never imports the
capability, and ``templates/_record_list.html`` draws any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True)
class Record:
    """One record in a list: a complaint, a promise, a survey response."""

    title: str
    url: str
    when: datetime | None = None
    state: str = ""
    detail: str = ""
    hot: bool = False  # needs attention: counts against a moment, a broken promise, a low score


@dataclass(frozen=True)
class RecordList:
    """One capability's records, one page of them, with the total and, when the capability has one, the link to
    its own full list filtered the same way."""

    key: str  # unique on the page; also the query parameter of the list's page number
    title: str
    explanation: str
    total: int
    items: list[Record]
    more_url: str = ""
    more_label: str = ""


def counted_page(ordered: QuerySet[Any], offset: int, limit: int) -> tuple[int, list[Any]]:
    """How many records there are, and one page of them (two queries; the page only when it is not past the end)."""
    total = ordered.count()
    return total, list(ordered[offset : offset + limit]) if total > offset else []
