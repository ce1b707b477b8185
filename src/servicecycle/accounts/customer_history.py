"""What the organization has had to do with a customer, shown on the customer's page: their cases, the promises
made to them and their survey responses, each list paged on its own.

accounts owns customers but must not import the apps that keep records about them. Each of those registers one
*source* when Django starts (in its ``AppConfig.ready()``), as it registers its personal-data source::

    customer_history.register("cases", source=customer_cases, capability="case.view")

``source(customer, offset, limit) -> RecordList`` (its ``key`` the registered name, which is also the query
parameter of the list's page number) returns one page of the customer's records, newest first, with
their total, in a bounded number of queries whatever the number of records (a count and a page). It is asked only
when the staff member looking has ``capability``. The records are the same set the personal-data export holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from servicecycle.accounts.models import Customer
from servicecycle.accounts.permissions import has
from servicecycle.core.records import RecordList

HistorySource = Callable[[Customer, int, int], RecordList]


@dataclass(frozen=True)
class _Source:
    source: HistorySource
    capability: str


_sources: dict[str, _Source] = {}


def register(name: str, *, source: HistorySource, capability: str) -> None:
    _sources[name] = _Source(source=source, capability=capability)


def history(customer: Customer, user: Any, *, pages: dict[str, int], per_page: int) -> list[RecordList]:
    """One page of each registered list the user may see; ``pages`` maps a list's key to its page number."""
    found = []
    for name, entry in _sources.items():
        if not has(user, entry.capability):
            continue
        records = entry.source(customer, (max(1, pages.get(name, 1)) - 1) * per_page, per_page)
        if records.key != name:  # the page number is read by name and written by key: they must agree
            raise ValueError(f"the customer history source {name!r} returned a list keyed {records.key!r}")
        found.append(records)
    return found


def names() -> list[str]:
    return list(_sources)
