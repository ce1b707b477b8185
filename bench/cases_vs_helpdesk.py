"""Cases against django-helpdesk: case creation through the full HTTP stack, and the staff inbox at 100,000 cases.

Run:  .venv/bin/python bench/cases_vs_helpdesk.py            (full size: 100,000 cases, 20 s of load per round)
      .venv/bin/python bench/cases_vs_helpdesk.py --quick    (a smoke run: 3,000 cases, 4 s of load)
      options: --cases N  --seconds S  --requests R  --workers W  --clients C  --keep  --only throughput|inbox

Both applications run on this machine against the same PostgreSQL (BENCH_POSTGRES_URL, default
postgres://postgres@127.0.0.1:5432/postgres), each in its own database (bench_sc, bench_helpdesk) and each behind
gunicorn with the same workers and threads, DEBUG off, on loopback ports. django-helpdesk (the latest release
on PyPI) is installed into its own virtualenv, var/bench/helpdesk-venv, with the small project kept in
bench/helpdesk_project/.

(a) throughput: client threads create cases for S seconds, servicecycle through `POST /api/v1/cases` (bearer
    token), django-helpdesk through its own API `POST /api/tickets/` (DRF token); the rounds alternate and the
    best round of each counts. Target: servicecycle >= 3x django-helpdesk.
(b) inbox: N cases in servicecycle and N tickets in django-helpdesk (several services/queues, teams, statuses,
    over a year); then the first page of servicecycle's staff inbox `/cases/` signed in as an agent, against
    django-helpdesk's staff ticket list, which is a page plus the DataTables request that fills it (both are
    timed, one after the other, as a user waits for both). Targets: servicecycle p95 <= 50 ms, and >= 5x faster
    than django-helpdesk at p50 and at p95.

Processes it starts are stopped at the end, and the two databases dropped unless --keep. Exit status 1 if a
target is missed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

VAR = ROOT / "var" / "bench"
SC_VAR = VAR / "servicecycle"
HD_VAR = VAR / "helpdesk"
HD_VENV = VAR / "helpdesk-venv"
HD_PROJECT = ROOT / "bench" / "helpdesk_project"
LOGS = VAR / "logs"
BENCH_POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
SC_DB, HD_DB = "bench_sc", "bench_helpdesk"
PASSWORD = "Bench-agent-pass-2026"
SECRET_KEY = "bench-only-servicecycle-secret-key"

THROUGHPUT_TARGET = 3.0
INBOX_P95_TARGET_MS = 50.0
INBOX_RATIO_TARGET = 5.0


def log(message: str) -> None:
    print(f"   {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def db_url(name: str) -> str:
    return BENCH_POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


def pg_parts() -> dict[str, str]:
    match = re.match(r"postgres(?:ql)?://(?:([^:@/]*)(?::([^@/]*))?@)?([^:/]*)(?::(\d+))?/", BENCH_POSTGRES_URL)
    if not match:
        raise SystemExit(f"BENCH_POSTGRES_URL is not a postgres:// URL: {BENCH_POSTGRES_URL!r}")
    user, password, host, port = match.groups()
    return {"user": user or "postgres", "password": password or "", "host": host or "127.0.0.1", "port": port or "5432"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Processes and databases -------------------------------------------------------------------------------------


class Cleanup:
    """Everything the bench started, stopped in reverse order however the run ends (error, Ctrl+C, SIGTERM)."""

    def __init__(self, keep: bool) -> None:
        self.keep = keep
        self.processes: list[subprocess.Popen[bytes]] = []
        self.databases: list[str] = []

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
        LOGS.mkdir(parents=True, exist_ok=True)
        with open(LOGS / f"{name}.log", "wb") as out:
            process = subprocess.Popen(
                argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append(process)
        return process

    def stop_processes(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def close(self) -> None:
        self.stop_processes()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110  (django never set up: nothing to close)
            pass
        if self.keep:
            if self.databases:
                log(f"kept the databases {', '.join(self.databases)} (--keep)")
            return
        import psycopg

        with psycopg.connect(BENCH_POSTGRES_URL, autocommit=True) as admin:
            for name in self.databases:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_database(cleanup: Cleanup, name: str) -> None:
    import psycopg

    with psycopg.connect(BENCH_POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    cleanup.databases.append(name)


def wait_until_up(url: str, process: subprocess.Popen[bytes], name: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited while starting; see {LOGS / (name + '.log')}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{name} did not answer {url} within {timeout:.0f} s; see {LOGS / (name + '.log')}")


def gunicorn_argv(gunicorn: Path, app: str, port: int, workers: int, threads: int) -> list[str]:
    """The same server settings for both applications (servicecycle's `serve` uses gunicorn the same way)."""
    extra = []
    usage = subprocess.run([str(gunicorn), "--help"], capture_output=True, text=True).stdout
    if "--no-control-socket" in usage:  # gunicorn >= 27: two servers would fight over ~/.gunicorn/gunicorn.ctl
        extra.append("--no-control-socket")
    return [
        str(gunicorn),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        "120",
        "--log-level",
        "warning",
        *extra,
    ]


# django-helpdesk: its own virtualenv and project ------------------------------------------------------------------


def helpdesk_python() -> Path:
    return HD_VENV / "bin" / "python"


def install_helpdesk() -> str:
    """Create var/bench/helpdesk-venv if needed and install the latest django-helpdesk from PyPI into it."""
    uv = ROOT / ".venv" / "bin" / "uv"
    packages = ["django-helpdesk", "gunicorn", "psycopg[binary]"]
    if not helpdesk_python().exists():
        log(f"creating {HD_VENV.relative_to(ROOT)}")
        if uv.exists():
            subprocess.run([str(uv), "venv", "-q", "--python", sys.executable, str(HD_VENV)], check=True)
        else:
            subprocess.run([sys.executable, "-m", "venv", str(HD_VENV)], check=True)
    log("installing the latest django-helpdesk from PyPI")
    if uv.exists():
        cmd = [str(uv), "pip", "install", "-q", "--upgrade", "--python", str(helpdesk_python()), *packages]
    else:
        cmd = [str(helpdesk_python()), "-m", "pip", "install", "-q", "--upgrade", *packages]
    subprocess.run(cmd, check=True)
    version = subprocess.run(
        [str(helpdesk_python()), "-c", "import importlib.metadata as m; print(m.version('django-helpdesk'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return version


def helpdesk_env() -> dict[str, str]:
    pg = pg_parts()
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "hdbench.settings",
        "PYTHONPATH": str(HD_PROJECT),
        "HD_VAR_DIR": str(HD_VAR),
        "HD_DATABASE_NAME": HD_DB,
        "HD_DATABASE_HOST": pg["host"],
        "HD_DATABASE_PORT": pg["port"],
        "HD_DATABASE_USER": pg["user"],
        "HD_DATABASE_PASSWORD": pg["password"],
    }


def helpdesk_run(*args: str) -> str:
    result = subprocess.run(
        [str(helpdesk_python()), *args], env=helpdesk_env(), cwd=HD_PROJECT, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(f"django-helpdesk {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass
class Helpdesk:
    version: str
    queue_ids: list[int]
    token: str
    username: str
    base: str = ""


def setup_helpdesk(cleanup: Cleanup) -> Helpdesk:
    version = install_helpdesk()
    fresh_database(cleanup, HD_DB)
    log(f"django-helpdesk {version}: migrate and set up a queue and a staff user")
    helpdesk_run("manage.py", "migrate", "--noinput", "-v0")
    data = json.loads(helpdesk_run("-m", "hdbench.seed", "setup", PASSWORD).strip().splitlines()[-1])
    return Helpdesk(version=version, queue_ids=data["queue_ids"], token=data["token"], username=data["username"])


# servicecycle ----------------------------------------------------------------------------------------------------


def servicecycle_env() -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": db_url(SC_DB),
        "DJANGO_SETTINGS_MODULE": "servicecycle.settings",
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "SERVICECYCLE_VAR_DIR": str(SC_VAR),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
        # the API's per-user limit (1200/m by default) would refuse the throughput round's single token after
        # a few seconds: this bench measures how fast cases are created, django-helpdesk has no such limit
        "API_RATE_LIMIT": "1000000/m",
    }


def collect_static() -> None:
    """DEBUG off needs the hashed static manifest; it is kept between runs while no static source is newer."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders
    from django.core.management import call_command

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists():
        built = manifest.stat().st_mtime
        newest = max(
            (Path(storage.path(path)).stat().st_mtime for finder in get_finders() for path, storage in finder.list([])),
            default=0.0,
        )
        if newest < built:
            return
    log("collecting static files (once; compressing them takes a few minutes on a busy machine)")
    call_command("collectstatic", interactive=False, verbosity=0)


@dataclass
class Servicecycle:
    organization_id: int
    agent_email: str
    token: str
    service_ids: list[int]
    team_ids: list[int]
    staff_ids: list[int]
    base: str = ""
    customers: list[int] = field(default_factory=list)


def setup_servicecycle(cleanup: Cleanup) -> Servicecycle:
    """Migrate bench_sc in this process (Django set up against it) and create an organization to work in."""
    fresh_database(cleanup, SC_DB)
    os.environ.update(servicecycle_env())
    import django

    django.setup()
    from django.core.management import call_command

    log("servicecycle: migrate, collect static files, set up an organization")
    call_command("migrate", verbosity=0)
    collect_static()

    from servicecycle.accounts import actions as accounts
    from servicecycle.accounts.models import Customer
    from servicecycle.cases import actions as cases
    from servicecycle.catalog import actions as catalog

    organization = accounts.create_organization(name="Bench Supplies", slug="bench")
    admin = accounts.create_staff(
        acting_user=None,
        organization=organization,
        email="admin@bench.test",
        first_name="Bench",
        last_name="Admin",
        role="admin",
    ).user
    teams = [
        accounts.create_team(acting_user=admin, name=name) for name in ("Front desk", "Deliveries", "Billing office")
    ]
    services = [
        catalog.create_service(acting_user=admin, name=name, owner_team_id=teams[i % len(teams)].pk)
        for i, name in enumerate(("Home delivery", "Invoicing", "Returns", "Store service", "Web shop"))
    ]
    agent = accounts.create_staff(
        acting_user=None,
        organization=organization,
        email="agent@bench.test",
        first_name="Bench",
        last_name="Agent",
        role="agent",
        team_ids=[t.pk for t in teams],
        password=PASSWORD,
    )
    colleagues = [
        accounts.create_staff(
            acting_user=None,
            organization=organization,
            email=f"agent{n}@bench.test",
            first_name="Colleague",
            last_name=str(n),
            role="agent",
            team_ids=[teams[n % len(teams)].pk],
        )
        for n in range(1, 6)
    ]
    for kind in ("complaint", "claim", "suggestion", "compliment", "question"):
        for priority, hours in (("low", 40), ("normal", 16), ("high", 8), ("urgent", 2)):
            cases.set_sla_policy(
                acting_user=admin,
                kind=kind,
                priority=priority,
                acknowledgement_minutes=60,
                first_response_minutes=hours * 30,
                resolution_minutes=hours * 60,
            )
    customers = Customer.objects.bulk_create(
        Customer(organization=organization, name=f"Customer {n}", email=f"customer{n}@example.test")
        for n in range(2000)
    )
    _token, raw = accounts.create_api_token(acting_user=agent.user, name="bench")
    return Servicecycle(
        organization_id=organization.pk,
        agent_email=agent.user.email,
        token=raw,
        service_ids=[s.pk for s in services],
        team_ids=[t.pk for t in teams],
        staff_ids=[agent.pk, *(c.pk for c in colleagues)],
        customers=[c.pk for c in customers],
    )


def copy_rows(model: Any, objects: list[Any]) -> None:
    """Insert model instances with COPY: every concrete column but the id, with the values bulk_create would save.

    psycopg adapts plain Python values itself; only fields that need Django's own conversion (JSON) go through it.
    """
    from django.db import connections

    connection = connections["default"]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    converted = {f.attname for f in fields if f.get_internal_type() in ("JSONField", "BinaryField", "UUIDField")}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                row = []
                for f in fields:
                    value = f.pre_save(obj, True)
                    row.append(f.get_db_prep_save(value, connection=connection) if f.attname in converted else value)
                copy.write_row(row)


KINDS = ["complaint"] * 5 + ["claim"] * 2 + ["suggestion", "compliment", "question", "question"]
CHANNELS = ["web_form"] * 4 + ["email"] * 3 + ["hotline"] * 2 + ["in_person", "social", "suggestion_box"]
OPEN_STATUSES = ["received", "acknowledged", "assessed", "investigating", "response_decided", "communicated"]


def load_servicecycle_cases(sc: Servicecycle, count: int, seed: int) -> None:
    """Bulk-insert ``count`` cases spread over the last year: the last two weeks mostly open, older mostly closed."""
    from django.db import connection, transaction
    from django.utils import timezone

    from servicecycle.cases.models import Case, CaseSequence

    rng = random.Random(seed)
    now = timezone.now()
    received = sorted(now - timedelta(seconds=rng.randrange(365 * 24 * 3600)) for _ in range(count))
    last_numbers = dict(
        CaseSequence.objects.filter(organization_id=sc.organization_id).values_list("year", "last_number")
    )
    rows: list[Case] = []
    for i, at in enumerate(received):
        year = at.year
        last_numbers[year] = last_numbers.get(year, 0) + 1
        age = now - at
        kind = rng.choice(KINDS)
        is_open = rng.random() < (0.9 if age < timedelta(days=14) else 0.08)
        reopened = ["reopened"] * (0 if age < timedelta(days=3) else 1)
        status = rng.choice(OPEN_STATUSES + reopened) if is_open else "closed"
        customer = rng.choice(sc.customers) if rng.random() < 0.6 else None
        priority = rng.choice(["low", "normal", "normal", "normal", "high", "urgent"])
        case = Case(
            organization_id=sc.organization_id,
            reference=f"C-{year}-{last_numbers[year]:05d}",
            kind=kind,
            channel=rng.choice(CHANNELS),
            status=status,
            customer_id=customer,
            contact_name="" if customer else f"Visitor {i}",
            contact_email="" if customer else f"visitor{i}@example.test",
            service_id=rng.choice(sc.service_ids),
            priority=priority,
            severity=rng.choice(["", "minor", "moderate", "major"]) if status != "received" else "",
            subject=f"Order {100000 + i}: parcel arrived damaged",
            description="The box was crushed and two plates inside were broken. I would like a replacement.",
            claim_request="replacement" if kind == "claim" else "",
            assignee_id=rng.choice(sc.staff_ids) if status not in ("received", "acknowledged") else None,
            team_id=rng.choice(sc.team_ids) if status != "received" else None,
            received_at=at,
            acknowledged_at=at + timedelta(minutes=rng.randrange(5, 240)) if status != "received" else None,
            status_token_hash=hashlib.sha256(f"bench-{seed}-{i}".encode()).hexdigest(),
        )
        if status == "closed":
            case.closed_at = case.resolved_at = at + timedelta(hours=rng.randrange(2, 300))
            case.first_response_at = at + timedelta(hours=rng.randrange(1, 40))
            case.outcome = rng.choice(["upheld", "partly_upheld", "not_upheld"])
            case.remedy = rng.choice(["none", "apology", "refund", "replacement"])
            case.sla_state = rng.choice(["met"] * 9 + ["breached"])
        else:
            case.sla_target = "acknowledgement" if status == "received" else "resolution"
            case.due_at = at + timedelta(hours={"low": 80, "normal": 32, "high": 16, "urgent": 4}[priority])
            case.warn_at = at + (case.due_at - at) * 0.8
            case.sla_state = "breached" if case.due_at < now else "warning" if case.warn_at < now else "on_track"
        rows.append(case)
    with transaction.atomic():
        copy_rows(Case, rows)
        for year, number in last_numbers.items():
            CaseSequence.objects.update_or_create(
                organization_id=sc.organization_id, year=year, defaults={"last_number": number}
            )
    with connection.cursor() as cursor:  # as autovacuum would after an import
        cursor.execute("VACUUM ANALYZE cases_case")


# (a) Throughput -------------------------------------------------------------------------------------------------


@dataclass
class Round:
    created: int
    errors: int
    seconds: float
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.created / self.seconds


def hammer(make_request: Any, clients: int, seconds: float) -> Round:
    """``clients`` threads, each with its own session, call ``make_request(session, n)`` until time is up."""
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()

    def client(index: int) -> tuple[int, int, str]:
        session = requests.Session()
        created = errors = 0
        first_error = ""
        n = 0
        while time.perf_counter() < deadline:
            n += 1
            try:
                response = make_request(session, f"{index}-{n}-{time.time_ns()}")
            except requests.RequestException as exc:
                errors += 1
                first_error = first_error or repr(exc)
                continue
            if response.status_code in (200, 201):
                created += 1
            else:
                errors += 1
                first_error = first_error or f"{response.status_code} {response.text[:300]}"
        return created, errors, first_error

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(client, range(clients)))
    elapsed = time.perf_counter() - start
    return Round(
        created=sum(r[0] for r in results),
        errors=sum(r[1] for r in results),
        seconds=elapsed,
        first_error=next((r[2] for r in results if r[2]), ""),
    )


def servicecycle_create(sc: Servicecycle) -> Any:
    headers = {"Authorization": f"Bearer {sc.token}"}
    url = sc.base + "/api/v1/cases"

    def create(session: requests.Session, key: str) -> requests.Response:
        body = {
            "kind": "complaint",
            "channel": "email",
            "service_id": sc.service_ids[hash(key) % len(sc.service_ids)],
            "subject": f"Parcel {key} arrived damaged",
            "description": "The box was crushed and two plates inside were broken. I would like a replacement.",
            "contact_name": "Ana Pérez",
            "contact_email": "ana.perez@example.com",
        }
        return session.post(url, json=body, headers={**headers, "Idempotency-Key": key}, timeout=30)

    return create


def servicecycle_read(sc: Servicecycle) -> Any:
    """A floor for the stack: what it answers per second when a request only reads one case."""
    headers = {"Authorization": f"Bearer {sc.token}"}
    first = servicecycle_create(sc)(requests.Session(), f"read-{time.time_ns()}")
    first.raise_for_status()
    url = f"{sc.base}/api/v1/cases/{first.json()['id']}"

    def read(session: requests.Session, _key: str) -> requests.Response:
        return session.get(url, headers=headers, timeout=30)

    return read


def helpdesk_create(hd: Helpdesk) -> Any:
    headers = {"Authorization": f"Token {hd.token}"}
    url = hd.base + "/api/tickets/"

    def create(session: requests.Session, key: str) -> requests.Response:
        body = {
            "queue": hd.queue_ids[hash(key) % len(hd.queue_ids)],
            "title": f"Parcel {key} arrived damaged",
            "description": "The box was crushed and two plates inside were broken. I would like a replacement.",
            "submitter_email": "ana.perez@example.com",
            "priority": 3,
        }
        return session.post(url, json=body, headers=headers, timeout=30)

    return create


def section_throughput(sc: Servicecycle, hd: Helpdesk, args: argparse.Namespace) -> bool:
    contenders = {"servicecycle": servicecycle_create(sc), "django-helpdesk": helpdesk_create(hd)}
    for name, create in contenders.items():  # warm-up: imports, template and plan caches, connections
        warm = hammer(create, args.clients, min(3.0, args.seconds))
        if warm.created == 0:
            print(f"throughput: {name} created nothing in the warm-up: {warm.first_error}")
            return False
    best: dict[str, Round] = {}
    for round_number in range(args.rounds):  # alternate, so both meet the same background load
        for name, create in contenders.items():
            result = hammer(create, args.clients, args.seconds)
            log(
                f"throughput round {round_number + 1} {name}: {result.rate:.1f}/s "
                f"({result.created} in {result.seconds:.1f} s, {result.errors} errors)"
            )
            if result.errors:
                log(f"   first error: {result.first_error}")
            if name not in best or result.rate > best[name].rate:
                best[name] = result
    ours, theirs = best["servicecycle"], best["django-helpdesk"]
    if theirs.created == 0:
        print(f"throughput: django-helpdesk created nothing: {theirs.first_error}")
        return False
    ratio = ours.rate / theirs.rate
    errors = ours.errors + theirs.errors
    ok = ratio >= THROUGHPUT_TARGET and ours.errors == 0
    read = hammer(servicecycle_read(sc), args.clients, args.seconds)
    print(
        f"throughput: servicecycle {ours.rate:.1f} cases/s, django-helpdesk {theirs.rate:.1f} tickets/s, "
        f"ratio {ratio:.2f}x (target >= {THROUGHPUT_TARGET:g}x){'' if ok else '  MISSED'}  "
        f"[gunicorn {args.workers} workers x {args.threads} threads each, {args.clients} client threads, "
        f"best of {args.rounds} x {args.seconds:g} s, {errors} errors]"
    )
    print(
        f"   for information: the same stack reading one case (GET /api/v1/cases/<id>: the token and one query) "
        f"{read.rate:.1f}/s, {read.rate / theirs.rate:.2f}x django-helpdesk's creation rate ({read.errors} errors)"
    )
    return ok


# (b) Inbox latency ------------------------------------------------------------------------------------------------


def sign_in(session: requests.Session, login_url: str, username: str, landing: str) -> None:
    page = session.get(login_url, timeout=30)
    token = session.cookies.get("csrftoken") or ""
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    data = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": match.group(1) if match else token}
    response = session.post(login_url, data=data, headers={"Referer": login_url}, timeout=30)
    check = session.get(landing, timeout=30, allow_redirects=False)
    if check.status_code != 200:
        raise SystemExit(
            f"could not sign in at {login_url} (login answered {response.status_code}, {landing} "
            f"answered {check.status_code})"
        )


def servicecycle_inbox(sc: Servicecycle) -> Any:
    session = requests.Session()
    sign_in(session, sc.base + "/accounts/login/", sc.agent_email, sc.base + "/cases/")
    url = sc.base + "/cases/"

    def load() -> int:
        page = session.get(url, timeout=60)
        page.raise_for_status()
        rows = page.text.count("C-20")  # one reference per row, at least
        # rows the page fetches as soon as it is shown (hx-trigger="load") are part of what the user waits for
        for extra in re.findall(r'hx-get="([^"]+)"[^>]*hx-trigger="load"', page.text):
            session.get(sc.base + extra.replace("&amp;", "&"), timeout=60).raise_for_status()
        return rows

    return load


def helpdesk_ticket_list(hd: Helpdesk) -> Any:
    session = requests.Session()
    sign_in(session, hd.base + "/login/", hd.username, hd.base + "/tickets/")
    url = hd.base + "/tickets/"

    def load() -> int:
        page = session.get(url, timeout=60)
        page.raise_for_status()
        match = re.search(r'"url": "(/datatables_ticket_list/[^"]*)"', page.text)
        if not match:
            raise SystemExit("django-helpdesk's ticket list no longer names its DataTables URL; update the bench")
        # what DataTables asks on first display: draw 1, the first page at the user's page length, no ordering
        data = session.get(
            hd.base + match.group(1),
            params={"draw": "1", "start": "0", "length": "25", "search[value]": "", "search[regex]": "false"},
            timeout=60,
        )
        data.raise_for_status()
        return len(data.json()["data"])

    return load


def section_inbox(sc: Servicecycle, hd: Helpdesk, args: argparse.Namespace) -> bool:
    contenders = {"servicecycle": servicecycle_inbox(sc), "django-helpdesk": helpdesk_ticket_list(hd)}
    rows = {name: load() for name, load in contenders.items()}
    for name, count in rows.items():
        if not count:
            print(f"inbox: {name}'s first page shows no cases; nothing to measure")
            return False
    for _ in range(args.warmup):
        for load in contenders.values():
            load()
    timings: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.requests):  # alternate, so both meet the same background load
        for name, load in contenders.items():
            start = time.perf_counter()
            load()
            timings[name].append((time.perf_counter() - start) * 1000)
    p50 = {name: float(np.percentile(t, 50)) for name, t in timings.items()}
    p95 = {name: float(np.percentile(t, 95)) for name, t in timings.items()}
    ratio50 = p50["django-helpdesk"] / p50["servicecycle"]
    ratio95 = p95["django-helpdesk"] / p95["servicecycle"]
    ok = p95["servicecycle"] <= INBOX_P95_TARGET_MS and min(ratio50, ratio95) >= INBOX_RATIO_TARGET
    print(
        f"inbox at {args.cases:,} cases: servicecycle /cases/ p50 {p50['servicecycle']:.1f} ms, "
        f"p95 {p95['servicecycle']:.1f} ms (target <= {INBOX_P95_TARGET_MS:g} ms); django-helpdesk /tickets/ + "
        f"DataTables request p50 {p50['django-helpdesk']:.1f} ms, p95 {p95['django-helpdesk']:.1f} ms; "
        f"ratio p50 {ratio50:.1f}x, p95 {ratio95:.1f}x (target >= {INBOX_RATIO_TARGET:g}x)"
        f"{'' if ok else '  MISSED'}  [{args.requests} requests each after {args.warmup} warm-up]"
    )
    return ok


# Main -----------------------------------------------------------------------------------------------------------


def start_servers(cleanup: Cleanup, sc: Servicecycle, hd: Helpdesk, args: argparse.Namespace) -> None:
    sc_port, hd_port = free_port(), free_port()
    sc.base, hd.base = f"http://127.0.0.1:{sc_port}", f"http://127.0.0.1:{hd_port}"
    sc_gunicorn = Path(sys.executable).parent / "gunicorn"
    sc_proc = cleanup.start(
        "servicecycle",
        gunicorn_argv(sc_gunicorn, "servicecycle.wsgi:application", sc_port, args.workers, args.threads),
        servicecycle_env(),
        ROOT,
    )
    hd_proc = cleanup.start(
        "helpdesk",
        gunicorn_argv(HD_VENV / "bin" / "gunicorn", "hdbench.wsgi:application", hd_port, args.workers, args.threads),
        helpdesk_env(),
        HD_PROJECT,
    )
    wait_until_up(sc.base + "/accounts/login/", sc_proc, "servicecycle")
    wait_until_up(hd.base + "/login/", hd_proc, "helpdesk")
    log(f"serving servicecycle at {sc.base} and django-helpdesk at {hd.base}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--cases", type=int, help="cases (and tickets) in the inbox section (default 100,000)")
    parser.add_argument("--seconds", type=float, help="seconds of load per throughput round (default 20)")
    parser.add_argument("--requests", type=int, help="timed inbox requests per application (default 60)")
    parser.add_argument("--rounds", type=int, default=2, help="throughput rounds per application (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per application (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (default 1)")
    parser.add_argument("--clients", type=int, default=8, help="client threads creating cases (default 8)")
    parser.add_argument("--only", choices=["throughput", "inbox"], action="append", help="run only this section")
    parser.add_argument("--keep", action="store_true", help="keep the databases bench_sc and bench_helpdesk")
    args = parser.parse_args(argv)
    args.cases = args.cases or (3_000 if args.quick else 100_000)
    args.seconds = args.seconds or (4.0 if args.quick else 20.0)
    args.requests = args.requests or (20 if args.quick else 60)
    args.warmup = 5 if args.quick else 10
    if args.quick:
        args.rounds = min(args.rounds, 1)
    sections = args.only or ["throughput", "inbox"]

    try:
        import psycopg

        psycopg.connect(BENCH_POSTGRES_URL, connect_timeout=5).close()
    except Exception as exc:
        print(f"cases_vs_helpdesk: PostgreSQL is not reachable at {BENCH_POSTGRES_URL} ({exc}); set BENCH_POSTGRES_URL")
        return 1

    cleanup = Cleanup(keep=args.keep)

    def on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    results: list[bool] = []
    try:
        shutil.rmtree(HD_VAR, ignore_errors=True)
        shutil.rmtree(SC_VAR / "media", ignore_errors=True)
        for path in (SC_VAR, HD_VAR):
            path.mkdir(parents=True, exist_ok=True)
        hd = setup_helpdesk(cleanup)
        sc = setup_servicecycle(cleanup)
        start_servers(cleanup, sc, hd, args)
        print(
            f"cases vs django-helpdesk {hd.version} (same PostgreSQL, gunicorn {args.workers} workers x "
            f"{args.threads} threads each, DEBUG off)"
        )
        if "throughput" in sections:
            results.append(section_throughput(sc, hd, args))
        if "inbox" in sections:
            log(f"loading {args.cases:,} cases into servicecycle and {args.cases:,} tickets into django-helpdesk")
            started = time.perf_counter()
            loader = subprocess.Popen(
                [str(helpdesk_python()), "-m", "hdbench.seed", "tickets", str(args.cases), "20261123"],
                env=helpdesk_env(),
                cwd=HD_PROJECT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            cleanup.processes.append(loader)  # type: ignore[arg-type]
            load_servicecycle_cases(sc, args.cases, 20261123)
            out, err = loader.communicate()
            if loader.returncode:
                raise SystemExit(f"loading django-helpdesk tickets failed:\n{out}\n{err}")
            log(f"loaded in {time.perf_counter() - started:.0f} s")
            results.append(section_inbox(sc, hd, args))
    except KeyboardInterrupt:
        print("cases_vs_helpdesk: interrupted")
        return 1
    finally:
        cleanup.close()
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
