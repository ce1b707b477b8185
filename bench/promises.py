"""Promises: the kept-rate dashboard at 200,000 promises on PostgreSQL, against a plain Python loop.

Run:  .venv/bin/python bench/promises.py             (200,000 promises, 40 timed runs per figure)
      .venv/bin/python bench/promises.py --quick     (a smoke run: 20,000 promises, 30 runs)
      options: --promises N  --runs R  --keep

It works in a scratch PostgreSQL database, bench_promises (BENCH_POSTGRES_URL, default
postgres://postgres@127.0.0.1:5432/postgres), migrated from scratch and dropped at the end unless --keep. The
organization, its 12 teams, 60 staff, 8 services and their moments are made through the app's actions; the
promises are bulk inserted with a realistic spread: over a year, most kept, some broken, some given without
confirmation, some still open, promisers and teams with their own habits.

The bulk insert bypasses the actions, which keep the per-day summary of the figures (``PromiseFigures``) exact,
so the summary is then counted once with ``figures.rebuild_figures`` (timed, for information).

Measured, p50 and p95 over R runs after two warm-up runs:
  (a) ``queries.kept_rates(organization, by="team")`` and ``by="staff"``: one query each over the summary;
  (b) the dashboard page ``/promises/dashboard/?since=all`` through the Django test client, signed in as a
      manager (four tables: team, staff, service, moment), when the page is installed;
  (c) the peer: a plain Python loop that reads the promises themselves (the columns the figures need) and counts
      the same figures per team and per staff member; (a) is checked to give exactly the same figures.
Targets: (a) p95 <= 100 ms for team and for staff; (a) at least 20x faster than (c). Exit status 1 if missed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

BENCH_POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = "bench_promises"
P95_TARGET_MS = 100.0
RATIO_TARGET = 20.0


def log(message: str) -> None:
    print(f"   {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def admin_connection() -> Any:
    import psycopg

    return psycopg.connect(BENCH_POSTGRES_URL, autocommit=True)


def create_database() -> None:
    with admin_connection() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    with admin_connection() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def setup_django() -> None:
    os.environ["DATABASE_URL"] = BENCH_POSTGRES_URL.rsplit("/", 1)[0] + "/" + DB_NAME
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only-promises-secret-key")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    os.environ["DJANGO_SETTINGS_MODULE"] = "servicecycle.settings"
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)
    from django.conf import settings

    # no collectstatic for a bench: serve static file names from the source tree (as the tests do)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_world(rng: random.Random) -> dict[str, Any]:
    """The organization, teams, staff, services and moments, through the app's actions."""
    from servicecycle.accounts import actions as accounts
    from servicecycle.catalog import actions as catalog
    from servicecycle.cycles import actions as cycles

    org = accounts.create_organization(name="Bench Building Supplies", slug="bench", time_zone="Europe/London")
    admin = accounts.create_staff(
        acting_user=None,
        organization=org,
        email="admin@bench.example",
        first_name="Ada",
        last_name="Admin",
        role="admin",
        team_ids=[],
        password="Bench-admin-pass-2026",
    )
    teams = [accounts.create_team(acting_user=admin.user, name=f"Team {i:02d}") for i in range(12)]
    manager = accounts.create_staff(
        acting_user=admin.user,
        organization=org,
        email="manager@bench.example",
        first_name="Max",
        last_name="Manager",
        role="manager",
        team_ids=[],
        password="Bench-manager-pass-2026",
    )
    staff = [
        accounts.create_staff(
            acting_user=admin.user,
            organization=org,
            email=f"seller{i}@bench.example",
            first_name=f"Seller{i}",
            last_name="Bench",
            role="agent" if i % 6 else "team_lead",
            team_ids=[teams[i % len(teams)].pk],
        )
        for i in range(60)
    ]
    services, moments = [], []
    for i in range(8):
        service = catalog.create_service(acting_user=admin.user, name=f"Service {i}", owner_team_id=teams[i].pk)
        services.append(service)
        moments.append(
            [
                cycles.add_moment(
                    acting_user=admin.user, service=service, name=f"S{i} moment {j}", owner_team_id=teams[i].pk
                )
                for j in range(8)
            ]
        )
    return {
        "org": org,
        "admin": admin,
        "manager": manager,
        "teams": teams,
        "staff": staff,
        "services": services,
        "moments": moments,
    }


def insert_promises(world: dict[str, Any], count: int, rng: random.Random) -> None:
    """Bulk insert ``count`` promises spread over a year (the actions are tested elsewhere; this is volume)."""
    from servicecycle.promises.models import Promise, State

    org, teams, staff, services, moments = (world[k] for k in ("org", "teams", "staff", "services", "moments"))
    now = datetime.now(UTC)
    # each promiser and team has its own habits, so the figures differ between rows of the dashboard
    care = {s.pk: rng.uniform(0.02, 0.25) for s in staff}
    hurry = {s.pk: rng.uniform(0.0, 0.4) for s in staff}
    slack = {t.pk: rng.uniform(0.0, 0.15) for t in teams}
    batch: list[Promise] = []
    for n in range(count):
        promiser = rng.choice(staff)
        team = rng.choice(teams)
        service_index = rng.randrange(len(services))
        created = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        due = created + timedelta(minutes=rng.choice((180, 360, 1440, 2880, 4320, 10080)))
        unconfirmed = rng.random() < hurry[promiser.pk]
        requested = None if unconfirmed else created + timedelta(minutes=1)
        declined = requested is not None and rng.random() < 0.08
        confirmed = (
            requested + timedelta(minutes=rng.randint(3, 240)) if requested is not None and not declined else None
        )
        if due > now:
            state = rng.choice((State.AWAITING, State.CONFIRMED, State.GIVEN, State.GIVEN))
            if unconfirmed:
                state = State.GIVEN
        elif rng.random() < 0.03:
            state = State.WITHDRAWN
        elif rng.random() < care[promiser.pk] + slack[team.pk] + (0.2 if unconfirmed else 0.0):
            state = State.BROKEN
        else:
            state = State.KEPT
        if state == State.AWAITING:
            confirmed = None
        given = state in (State.GIVEN, State.KEPT, State.BROKEN) or (state == State.WITHDRAWN and rng.random() < 0.5)
        batch.append(
            Promise(
                organization=org,
                promiser=promiser,
                service=services[service_index],
                moment=rng.choice(moments[service_index]) if rng.random() < 0.9 else None,
                fulfilling_team=team,
                customer_name=f"Customer {n}",
                text="Move the goods to one warehouse so the customer collects everything in one place.",
                due_at=due,
                state=state,
                requested_at=requested,
                confirmed_at=confirmed,
                confirmed_by=promiser if confirmed else None,
                given_at=(confirmed or created) + timedelta(minutes=2) if given else None,
                given_unconfirmed=unconfirmed and given,
                unconfirmed_reason="The customer could not wait" if unconfirmed and given else "",
                kept_at=due - timedelta(minutes=30) if state == State.KEPT else None,
                broken_at=due + timedelta(minutes=1) if state == State.BROKEN else None,
                status_token_hash=f"bench-{n}",
            )
        )
        if len(batch) == 5000:
            Promise.objects.bulk_create(batch)
            batch = []
    if batch:
        Promise.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE promises_promise")


def timings(fn: Callable[[], object], runs: int) -> tuple[list[float], object]:
    result = None
    for _ in range(2):
        result = fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples, result


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def python_loop(org_id: int, key: str) -> dict[int, tuple[Any, ...]]:
    """The peer: read the rows the figures need and count them in a plain loop (no aggregation in SQL)."""
    from servicecycle.promises.queries import counted_promises

    rows = counted_promises(org_id).values_list(
        key, "state", "given_at", "given_unconfirmed", "requested_at", "confirmed_at"
    )
    groups: dict[int, list[Any]] = defaultdict(lambda: [0, 0, 0, 0, 0.0, 0])
    for group, state, given_at, unconfirmed, requested_at, confirmed_at in rows:
        if group is None:
            continue
        figures = groups[group]
        if given_at is not None:
            figures[0] += 1
        if state == "kept":
            figures[1] += 1
        elif state == "broken":
            figures[2] += 1
        if unconfirmed:
            figures[3] += 1
        if requested_at is not None and confirmed_at is not None:
            figures[4] += (confirmed_at - requested_at).total_seconds() / 60
            figures[5] += 1
    out = {}
    for group, (given, kept, broken, unconfirmed, wait, waited) in groups.items():
        out[group] = (
            given,
            kept,
            broken,
            unconfirmed,
            kept / (kept + broken) if kept + broken else None,
            unconfirmed / given if given else None,
            round(wait / waited, 1) if waited else None,
        )
    return out


def as_figures(rates: Any) -> dict[int, tuple[Any, ...]]:
    return {
        r.key_id: (
            r.given,
            r.kept,
            r.broken,
            r.unconfirmed,
            r.kept_rate,
            r.unconfirmed_share,
            r.median_or_mean_minutes_to_confirm,
        )
        for r in rates
    }


def same_figures(a: dict[int, tuple[Any, ...]], b: dict[int, tuple[Any, ...]]) -> bool:
    if a.keys() != b.keys():
        return False
    for key, ours in a.items():
        theirs = b[key]
        if ours[:4] != theirs[:4]:
            return False
        for x, y in zip(ours[4:], theirs[4:], strict=True):
            if (x is None) != (y is None) or (x is not None and abs(x - y) > 0.051):
                return False
    return True


def page_timings(world: dict[str, Any], runs: int) -> list[float] | None:
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse("promise-dashboard") + "?since=all"
    except NoReverseMatch:
        return None
    client = Client()
    client.force_login(world["manager"].user)
    response = client.get(url)
    if response.status_code != 200:
        log(f"the dashboard answered {response.status_code}; page not timed")
        return None
    samples, _ = timings(lambda: client.get(url), runs)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--promises", type=int, default=None)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    count = args.promises or (20_000 if args.quick else 200_000)
    runs = max(30, args.runs or (30 if args.quick else 40))
    rng = random.Random(20261123)
    create_database()
    try:
        setup_django()
        from django.db import connection

        from servicecycle.promises.queries import kept_rates

        log("building the organization through the actions")
        world = build_world(rng)
        log(f"inserting {count:,} promises")
        insert_promises(world, count, rng)
        org = world["org"]
        ok = True
        print(f"promises: {count:,} promises on PostgreSQL, {runs} timed runs each")
        # the bulk insert bypassed the actions (which keep the per-day summary exact): count the summary once
        from servicecycle.promises.figures import rebuild_figures

        start = time.perf_counter()
        summary_rows = rebuild_figures(org.pk)
        rebuilt_ms = (time.perf_counter() - start) * 1000
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE promises_promisefigures")
        print(
            f"per-day summary rebuilt after the bulk insert: {summary_rows:,} rows in {rebuilt_ms:,.0f} ms "
            "(for information)"
        )
        for by, key in (("team", "fulfilling_team_id"), ("staff", "promiser_id")):
            db_samples, rates = timings(lambda by=by: kept_rates(org, by=by), runs)
            loop_samples, loop_figures = timings(lambda key=key: python_loop(org.pk, key), max(5, runs // 6))
            if not same_figures(as_figures(rates), loop_figures):
                print(f"kept rates by {by}: the database and the Python loop DISAGREE")
                ok = False
            db_p95, db_p50 = p95(db_samples), statistics.median(db_samples)
            loop_p50 = statistics.median(loop_samples)
            ratio = loop_p50 / db_p50
            met = db_p95 <= P95_TARGET_MS and ratio >= RATIO_TARGET
            ok = ok and met
            print(
                f"kept rates by {by:5}: database p50 {db_p50:6.1f} ms, p95 {db_p95:6.1f} ms (target <= "
                f"{P95_TARGET_MS:g}); Python loop p50 {loop_p50:7.1f} ms; ratio {ratio:5.1f}x (target >= "
                f"{RATIO_TARGET:g}x){'' if met else '  MISSED'}  [{len(rates)} rows, same figures]"
            )
        page = page_timings(world, runs)
        if page is None:
            print("dashboard page: not installed in this build, not timed")
        else:
            print(
                f"dashboard page (4 tables: team, staff, service, moment; since=all): p50 "
                f"{statistics.median(page):6.1f} ms, p95 {p95(page):6.1f} ms (for information)"
            )
        return 0 if ok else 1
    finally:
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    raise SystemExit(main())
