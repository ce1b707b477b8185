"""The per-day summary of the kept-rate figures (``PromiseFigures``), kept exact by the writes themselves.

The dashboard's figures used to be counted over every promise of the organization (200,000 rows all time: no
aggregate over that many rows answers within 100 ms here). They are now summed over one row per
(day, team / staff member / service / moment), a few hundred rows a year, see ``queries.kept_rates``.

How the summary stays exact:

* every write that changes a counted field of a promise (state, given_at, given_unconfirmed, requested_at,
  confirmed_at, due_at, fulfilling_team, promiser, service, moment) calls ``refresh_figures`` for the promise's
  due day (and its former one when the due time moved), inside the write's own transaction: in
  ``promises.actions`` that is ``_figures_changed``, called by ``_save``, ``_claim_answer``, ``_break`` and
  ``postpone`` (the only writers of promise rows), and checked by tests/promises/test_figures.py, which walks
  every step of ``actions.TRANSITIONS`` and compares the summary with a recount after each;
* ``refresh_figures`` does not add or subtract: it takes a per-(organization, day) lock, deletes the day's rows
  and counts the day again from the promises (``queries.counted_promises`` and ``queries.figure_counts``, the
  same rules as everywhere else). A day holds a few hundred promises at most, so this is cheap, and a refresh
  can never drift: whatever the day's rows were, they are replaced by a fresh count. With the lock, two
  transactions changing promises due the same day take turns: the second counts after the first committed
  (READ COMMITTED: every statement sees what was committed before it started), so it sees both changes.
  On PostgreSQL the lock is ``pg_advisory_xact_lock`` (released at commit or rollback); SQLite lets one
  writer at a time anyway. Locks are taken in day order, so two transactions never wait on each other in a
  circle. A rolled-back write rolls its refresh back with it: there is no moment where the summary and the
  promises disagree for another transaction.

``rebuild_figures`` recounts whole organizations (backfill by migration ``0004``, the management command
``rebuild_promise_figures``, and after bulk inserts such as ``bench/promises.py``). The daily
``reconcile_promise_figures`` task rebuilds the last few days and the days of recently updated promises: not
because the app could leave a gap (it cannot, see above), but for rows written outside the app (bulk imports,
manual SQL), which bypass the actions.

The day is the due date in the organization's time zone (``TruncDate(due_at, tzinfo=zone)`` in SQL, the same
wall-clock date as ``due_at.astimezone(zone).date()`` in Python). When an organization changes its time zone,
its summary must be rebuilt (``rebuild_figures(organization_id)``) so that the days follow the new zone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Max, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from servicecycle.accounts.models import Organization
from servicecycle.promises.models import Promise, PromiseFigures

# dimension -> the promise's column it groups by
DIMENSIONS = {
    "team": "fulfilling_team_id",
    "staff": "promiser_id",
    "service": "service_id",
    "moment": "moment_id",
}
REBUILD_CHUNK_DAYS = 31  # a rebuild works a month at a time, one transaction each (few locks, short transactions)
RECONCILE_DAYS = 3  # the daily reconciliation recounts the last few days, plus the days of recently updated rows


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The date of an instant on the organization's wall clock (the day its figures are kept under)."""
    return moment.astimezone(zone).date()


def _organization(organization: Organization | int) -> Organization:
    if isinstance(organization, Organization):
        return organization
    return Organization.objects.only("pk", "time_zone").get(pk=organization)


def _lock_key(organization_id: int, day: date) -> int:
    digest = hashlib.blake2b(f"promise-figures:{organization_id}:{day.isoformat()}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _lock(organization_id: int, day: date) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(organization_id, day)])


def _microseconds(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, timedelta):
        return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    return int(value)  # some backends answer an interval sum as a number of microseconds


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days: [(first, last), ...]."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _count(organization: Organization, first: date, last: date) -> list[PromiseFigures]:
    """Fresh figures of the days first..last (one aggregate statement per dimension)."""
    from servicecycle.promises.queries import counted_promises, figure_counts

    zone = organization.zone
    # a range on due_at (served by the (organization, due_at) index), a day wider on each side than any offset,
    # then exactly the promises whose local due date is in first..last
    start = datetime.combine(first, time.min, tzinfo=UTC) - timedelta(days=1)
    end = datetime.combine(last, time.min, tzinfo=UTC) + timedelta(days=2)
    promises = (
        counted_promises(organization.pk)
        .filter(due_at__gte=start, due_at__lt=end)
        .annotate(local_day=TruncDate("due_at", tzinfo=zone))
        .filter(local_day__gte=first, local_day__lte=last)
    )
    rows = []
    for dimension, key in DIMENSIONS.items():
        aggregated = (
            promises.filter(**{f"{key}__isnull": False}).values("local_day", key).annotate(**figure_counts()).order_by()
        )
        for row in aggregated:
            rows.append(
                PromiseFigures(
                    organization_id=organization.pk,
                    day=row["local_day"],
                    dimension=dimension,
                    key_id=row[key],
                    given=row["given"],
                    kept=row["kept"],
                    broken=row["broken"],
                    unconfirmed=row["unconfirmed"],
                    confirm_microseconds=_microseconds(row["confirm_time"]),
                    confirm_count=row["confirm_count"],
                )
            )
    return rows


def refresh_figures(organization: Organization | int, days: Iterable[date]) -> None:
    """Count the given days of the organization again: lock each day (in order), delete its rows, insert fresh
    ones. Must run inside the transaction of the write that changed the promises (it asserts so)."""
    wanted = sorted(set(days))
    if not wanted:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("refresh_figures must run inside the transaction of the write it follows")
    organization = _organization(organization)
    for day in wanted:
        _lock(organization.pk, day)
    PromiseFigures.objects.filter(organization_id=organization.pk, day__in=wanted).delete()
    rows: list[PromiseFigures] = []
    for first, last in _runs(wanted):
        rows += _count(organization, first, last)
    PromiseFigures.objects.bulk_create(rows, batch_size=1000)


def refresh_for_promise(promise: Promise, *former_due: datetime | None) -> None:
    """After a write to ``promise``: count its due day again, and the day of each former due time given."""
    organization = promise.organization  # loaded with the promise by every action (no query)
    zone = organization.zone
    moments = [promise.due_at, *(d for d in former_due if d is not None)]
    refresh_figures(organization, {local_day(m, zone) for m in moments})


def _days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def rebuild_figures(organization_id: int | None = None) -> int:
    """Recount the whole summary of one organization (or of all), a month per transaction; returns the number
    of summary rows written. For the backfill, repairs and after bulk inserts that bypass the actions."""
    organizations = Organization.objects.only("pk", "time_zone").order_by("pk")
    if organization_id is not None:
        organizations = organizations.filter(pk=organization_id)
    written = 0
    for organization in organizations:
        zone = organization.zone
        span = Promise.objects.filter(organization_id=organization.pk).aggregate(
            first=Min("due_at"), last=Max("due_at")
        )
        kept = PromiseFigures.objects.filter(organization_id=organization.pk).aggregate(
            first=Min("day"), last=Max("day")
        )
        firsts = [d for d in (kept["first"], span["first"] and local_day(span["first"], zone)) if d is not None]
        lasts = [d for d in (kept["last"], span["last"] and local_day(span["last"], zone)) if d is not None]
        if not firsts:
            continue
        days = _days_between(min(firsts), max(lasts))
        for i in range(0, len(days), REBUILD_CHUNK_DAYS):
            chunk = days[i : i + REBUILD_CHUNK_DAYS]
            with transaction.atomic():
                refresh_figures(organization, chunk)
        written += PromiseFigures.objects.filter(organization_id=organization.pk).count()
    return written


def reconcile_recent(now: datetime | None = None, days: int = RECONCILE_DAYS) -> int:
    """Recount, for every organization, the last ``days`` local days up to tomorrow and the due days of promises
    updated in the last two days; returns the number of days recounted. Only rows written outside the app can
    need it (the app's own writes refresh the summary in their transaction)."""
    now = now or timezone.now()
    recounted = 0
    for organization in Organization.objects.only("pk", "time_zone").order_by("pk"):
        zone = organization.zone
        today = local_day(now, zone)
        wanted = set(_days_between(today - timedelta(days=days), today + timedelta(days=1)))
        touched = Promise.objects.filter(organization_id=organization.pk, updated_at__gte=now - timedelta(days=2))
        wanted |= {local_day(due, zone) for due in touched.values_list("due_at", flat=True).distinct()}
        with transaction.atomic():
            refresh_figures(organization, wanted)
        recounted += len(wanted)
    return recounted


def clock_changed(sender: Any, organization: Organization, time_zone_changed: bool = False, **kwargs: Any) -> None:
    """Receiver of ``core.events.clock_changed``: a new time zone moves the local days the summary is kept by, so
    the organization's summary is recounted in the same transaction (holidays and hours do not move days)."""
    if time_zone_changed:
        rebuild_figures(organization.pk)
