"""Mixed load: simulated customers and staff working servicecycle at once, through the whole HTTP stack.

Run:  .venv/bin/python bench/load.py            (50 simulated people for 5 minutes)
      .venv/bin/python bench/load.py --quick    (a smoke run: 10 people for 30 seconds)
      options: --users N  --minutes M  --keep

What runs, all on this machine and on loopback: a fresh PostgreSQL database (bench_load, on BENCH_POSTGRES_URL,
default postgres://postgres@127.0.0.1:5432/postgres) migrated from scratch; the app under gunicorn with 2 worker
processes of 1 thread each (what `servicecycle serve` starts), DEBUG off, static files collected and served by
whitenoise; one background worker (`servicecycle worker`), which sends the mail the journeys cause. The
organization is set up through the app's actions: services, teams, agents, an open survey with a public link, a
backlog of new cases and of promises waiting for their team's confirmation.

locust (as a library, headless, in a child process) then plays four journeys, people spread over them 4:2:1:3:
  complaint  a customer opens the public form /c/<slug>/ and sends a complaint (CSRF token, honeypot left empty);
  inbox      an agent lists the new cases in /cases/, opens one, acknowledges it and assigns it to themselves;
  promise    a salesperson asks a team to confirm a draft promise, and a member of that team opens the
             confirmation requests (/promises/requests/) and confirms the oldest one;
  survey     a customer answers the survey through its public link /s/<key>/.
Think times are short (0.5-1.5 s between the steps of a journey, 1-3 s between journeys): far busier than real
people. Every customer journey comes from a loopback address of its own (127.x.y.z), as customers come from
their own addresses: the public pages' per-address rate limits stay as they are in production and are not hit.

Printed: requests per second, p50/p95 per journey, the error count; then the database is checked: every
complaint and every survey answer the simulated customers were told was received is stored exactly once.
Targets: 0 errors, p95 <= 300 ms for each journey, every submission stored once. Exit status 1 if missed.
Processes it starts are stopped at the end (also on Ctrl+C), and the database dropped unless --keep.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

# No import that loads ssl up here: the --swarm child imports locust (gevent patches the standard library) first.

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

DB_NAME = "bench_load"
PASSWORD = "Bench-load-pass-2026"
SECRET_KEY = "bench-only-load-secret-key"
SLUG = "loadbench"
P95_TARGET_MS = 300.0
WORKERS, THREADS = 2, 1  # `servicecycle serve` defaults (WEB_CONCURRENCY, WEB_THREADS)
JOURNEYS = ("complaint", "inbox", "promise", "survey")
WEIGHTS = {"complaint": 4, "inbox": 2, "promise": 1, "survey": 3}
THINK = (0.5, 1.5)  # seconds between the steps of a journey
PAUSE = (1.0, 3.0)  # seconds between journeys


def log(message: str) -> None:
    print(f"   {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def split_users(users: int) -> dict[str, int]:
    """How many simulated people play each journey: by weight, largest remainders, at least one each."""
    total = sum(WEIGHTS.values())
    exact = {name: users * weight / total for name, weight in WEIGHTS.items()}
    counts = {name: max(1, math.floor(value)) for name, value in exact.items()}
    by_remainder = sorted(JOURNEYS, key=lambda name: exact[name] - math.floor(exact[name]), reverse=True)
    for name in itertools.cycle(by_remainder):
        if sum(counts.values()) >= users:
            break
        counts[name] += 1
    return counts


# The world the simulated people work in ---------------------------------------------------------------------


@dataclass
class Desk:
    """A promise desk: a salesperson asking, a team confirming; the promiser's drafts are theirs alone."""

    promiser_email: str
    confirmer_email: str
    drafts: list[int]


@dataclass
class World:
    base: str
    run: str
    service_ids: list[int]
    agents: list[dict[str, Any]]  # {"email", "staff_id"}
    desks: list[Desk]
    survey_key: str
    questions: dict[str, int]  # csat, nps, text
    seconds: float
    counts: dict[str, int]
    results: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def seed(counts: dict[str, int], seconds: float, run: str) -> World:
    """The organization, made through the app's actions as an administrator would make it."""
    from django.utils import timezone

    from servicecycle.accounts import actions as accounts
    from servicecycle.cases import actions as cases
    from servicecycle.catalog import actions as catalog
    from servicecycle.promises import actions as promises
    from servicecycle.surveys import actions as surveys
    from servicecycle.surveys.models import Question, Survey

    organization = accounts.create_organization(name="Load Test Supplies", slug=SLUG)
    admin = accounts.create_staff(
        acting_user=None,
        organization=organization,
        email="admin@load.test",
        first_name="Load",
        last_name="Admin",
        role="admin",
    ).user
    front = accounts.create_team(acting_user=admin, name="Front desk")
    sales = accounts.create_team(acting_user=admin, name="Sales")
    desk_teams = [
        accounts.create_team(acting_user=admin, name=f"Fitting team {n + 1}") for n in range(counts["promise"])
    ]
    all_teams = [front.pk, sales.pk, *(t.pk for t in desk_teams)]
    services = [
        catalog.create_service(acting_user=admin, name=name, owner_team_id=front.pk)
        for name in ("Home delivery", "Installation", "Returns", "Web shop")
    ]
    agents = [
        accounts.create_staff(
            acting_user=None,
            organization=organization,
            email=f"agent{n}@load.test",
            first_name="Agent",
            last_name=str(n),
            role="agent",
            team_ids=all_teams,
            password=PASSWORD,
        )
        for n in range(counts["inbox"])
    ]
    log(f"seeding: {counts['inbox'] * 5} new cases for the agents to pick up")
    for n in range(counts["inbox"] * 5):
        cases.create_case(
            acting_user=None,
            organization=organization,
            kind="complaint",
            channel="web_form",
            service_id=services[n % len(services)].pk,
            subject=f"Backlog case {n}",
            description="The delivery came two days late and nobody told me.",
            contact_name=f"Backlog customer {n}",
            contact_email=f"backlog{n}@example.test",
        )

    # each desk: enough drafts for one a journey for the whole run, and a few requests already waiting
    drafts_per_desk = int(seconds / (THINK[0] * 3 + PAUSE[0])) + 10  # the quickest journey: three thinks, a pause
    waiting_per_desk = 5
    log(f"seeding: {counts['promise']} promise desks, {drafts_per_desk + waiting_per_desk} promises each")
    due = timezone.now() + timedelta(days=14)
    desks = []
    for n, team in enumerate(desk_teams):
        promiser = accounts.create_staff(
            acting_user=None,
            organization=organization,
            email=f"sales{n}@load.test",
            first_name="Sales",
            last_name=str(n),
            role="agent",
            team_ids=[sales.pk],
            password=PASSWORD,
        )
        confirmer = accounts.create_staff(
            acting_user=None,
            organization=organization,
            email=f"fitter{n}@load.test",
            first_name="Fitter",
            last_name=str(n),
            role="agent",
            team_ids=[team.pk],
            password=PASSWORD,
        )
        drafts = []
        for k in range(drafts_per_desk + waiting_per_desk):
            promise = promises.create_promise(
                acting_user=promiser.user,
                service_id=services[1].pk,
                fulfilling_team_id=team.pk,
                text=f"We fit the kitchen worktop {n}-{k} on the agreed day",
                due_at=due,
                customer_name=f"Customer {n}-{k}",
                customer_email=f"customer{n}-{k}@example.test",
            )
            if k < waiting_per_desk:
                promises.request_confirmation(acting_user=promiser.user, promise=promise)
            else:
                drafts.append(promise.pk)
        desks.append(Desk(promiser_email=promiser.user.email, confirmer_email=confirmer.user.email, drafts=drafts))

    log("seeding: an open survey with a public link")
    survey = surveys.create_survey(acting_user=admin, titles={"en": "How did we do?"})
    csat = surveys.add_question(
        acting_user=admin, survey=survey, kind=Question.Kind.CSAT, texts={"en": "How satisfied are you with us?"}
    )
    nps = surveys.add_question(
        acting_user=admin,
        survey=survey,
        kind=Question.Kind.NPS,
        texts={"en": "How likely are you to recommend us to a friend?"},
    )
    text = surveys.add_question(
        acting_user=admin, survey=survey, kind=Question.Kind.TEXT, texts={"en": "What should we do better?"}
    )
    survey = surveys.set_survey_status(acting_user=admin, survey=survey, status=Survey.Status.OPEN)
    survey = surveys.set_public_link(acting_user=admin, survey=survey, enabled=True)
    return World(
        base="",
        run=run,
        service_ids=[s.pk for s in services],
        agents=[{"email": a.user.email, "staff_id": a.pk} for a in agents],
        desks=desks,
        survey_key=str(survey.public_key),
        questions={"csat": csat.pk, "nps": nps.pk, "text": text.pk},
        seconds=seconds,
        counts=counts,
    )


# The simulated people (run in the --swarm child, where locust and gevent live) --------------------------------


def swarm(world_path: str) -> int:
    """Run the journeys for the world's seconds; write what happened next to the world file."""
    import gevent
    from locust import HttpUser, between, task
    from locust.clients import LocustHttpAdapter
    from locust.env import Environment
    from requests.adapters import HTTPAdapter

    data = json.loads(Path(world_path).read_text())
    desks = [Desk(**d) for d in data.pop("desks")]
    world = World(**data, desks=desks)
    timings: dict[str, list[float]] = {name: [] for name in (*JOURNEYS, "sign-in")}
    per_request: dict[str, list[float]] = {}
    failures: dict[str, int] = {name: 0 for name in timings}
    first_errors: list[str] = []
    stored: dict[str, list[str]] = {"complaint": [], "survey": []}
    numbers = itertools.count(1)
    addresses = itertools.count(1)
    indexes = {name: itertools.count() for name in JOURNEYS}
    users = sum(world.counts.values())
    # measured: from the moment everyone is in (staff signed in) for the world's seconds; errors count throughout
    window = {"ready": 0.0, "start": 0.0, "end": 0.0, "requests": 0.0, "ramp": 0.0, "errors": 0.0}

    def on_request(
        request_type: str, name: str, response_time: float, exception: BaseException | None, **_: Any
    ) -> None:
        journey = name.split(":", 1)[0]
        if exception is not None:
            window["errors"] += 1
        if journey != "sign-in" and not window["start"]:
            window["ramp"] += 1
        else:
            timings.setdefault(journey, []).append(response_time)
            per_request.setdefault(name, []).append(response_time)
            if not window["end"]:
                window["requests"] += 1
        if exception is not None:
            failures[journey] = failures.get(journey, 0) + 1
            if len(first_errors) < 10:
                first_errors.append(f"{name}: {exception}"[:400])

    class FromAddress(LocustHttpAdapter):
        """Connections from one loopback address (any 127.x.y.z is this machine): one customer, one address."""

        def __init__(self, address: str) -> None:
            self.address = address
            super().__init__(pool_manager=None)

        def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kwargs: Any) -> None:
            HTTPAdapter.init_poolmanager(self, connections, maxsize, block, source_address=(self.address, 0), **kwargs)

    def csrf(text: str) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        return match.group(1) if match else ""

    def think() -> None:
        gevent.sleep(random.uniform(*THINK))

    class Person(HttpUser):
        abstract = True
        host = world.base
        wait_time = between(*PAUSE)
        network_timeout = 60.0
        connection_timeout = 10.0

        def on_start(self) -> None:
            window["ready"] += 1
            if window["ready"] >= users and not window["start"]:
                window["start"] = time.perf_counter()

        def as_new_customer(self) -> None:
            """Forget the last customer: new cookies, and connections from a new loopback address."""
            n = next(addresses)
            rest, host = divmod(n, 254)
            address = f"127.{1 + rest // 256}.{rest % 256}.{host + 1}"  # never 127.0.x.x, where the staff are
            self.client.cookies.clear()
            self.client.close()
            self.client.mount("http://", FromAddress(address))

        def page(self, url: str, name: str, needs: str, client: Any = None) -> str:
            """GET a page the journey goes on from: without the form field ``needs`` it counts as an error."""
            with (client or self.client).get(url, name=name, catch_response=True) as answer:
                if answer.status_code == 200 and f'name="{needs}"' not in answer.text:
                    answer.failure(f"{url} has no {needs} field")
                return str(answer.text)

        def sign_in(self, email: str, client: Any = None) -> None:
            client = client or self.client
            page = client.get("/accounts/login/", name="sign-in: form")
            with client.post(
                "/accounts/login/",
                data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": csrf(page.text)},
                name="sign-in: send",
                catch_response=True,
            ) as answer:
                if answer.status_code != 200 or answer.url.endswith("/accounts/login/"):  # the form again: refused
                    answer.failure(f"{email} could not sign in (status {answer.status_code})")

    class Complaint(Person):
        fixed_count = world.counts["complaint"]

        @task
        def complaint(self) -> None:
            self.as_new_customer()
            form = self.page(f"/c/{SLUG}/", "complaint: form", needs="submission")
            submission = re.search(r'name="submission" value="([^"]*)"', form)
            think()
            n = next(numbers)
            subject = f"Load {world.run} complaint {n}"
            with self.client.post(
                f"/c/{SLUG}/",
                data={
                    "csrfmiddlewaretoken": csrf(form),
                    "submission": submission.group(1) if submission else "",
                    "kind": "complaint",
                    "service": str(random.choice(world.service_ids)),
                    "moment": "",
                    "subject": subject,
                    "description": "The parcel arrived open and one of the plates inside was broken.",
                    "contact_name": f"Customer {n}",
                    "contact_email": f"customer{n}@example.test",
                    "language": "en",
                    "website": "",  # the honeypot: people leave it empty
                },
                name="complaint: send",
                catch_response=True,
            ) as answer:
                if answer.status_code == 200 and 'class="reference"' in answer.text:
                    stored["complaint"].append(subject)
                elif answer.status_code == 200:
                    answer.failure("the form answered without a case reference")

    class Inbox(Person):
        fixed_count = world.counts["inbox"]

        def on_start(self) -> None:
            self.index = next(indexes["inbox"])
            self.me = world.agents[self.index % len(world.agents)]
            self.sign_in(self.me["email"])
            super().on_start()

        @task
        def inbox(self) -> None:
            listing = self.client.get("/cases/?status=received&sort=oldest", name="inbox: new cases")
            ids = [int(pk) for pk in dict.fromkeys(re.findall(r'href="/cases/(\d+)/"', listing.text))]
            mine = [pk for pk in ids if pk % len(world.agents) == self.index % len(world.agents)]
            think()
            if not mine:  # nothing new for this agent: look at the open cases instead
                self.client.get("/cases/", name="inbox: open cases")
                return
            pk = mine[0]
            page = self.page(f"/cases/{pk}/", "inbox: case page", needs="acknowledge-version")
            version = re.search(r'name="acknowledge-version" value="(\d+)"', page)
            think()
            if version is None:
                return
            panel = self.step(
                pk, "acknowledge", {"csrfmiddlewaretoken": csrf(page), "acknowledge-version": version.group(1)}
            )
            version = re.search(r'name="assign-version" value="(\d+)"', panel)
            think()
            if version is None:
                return
            data = {
                "csrfmiddlewaretoken": csrf(panel),
                "assign-version": version.group(1),
                "assign-assignee": str(self.me["staff_id"]),
                "assign-team": "",
            }
            self.step(pk, "assign", data)

        def step(self, pk: int, step: str, data: dict[str, str]) -> str:
            """A step sent as the page's HTMX form sends it: the answer is the case panel, with a message."""
            headers = {
                "HX-Request": "true",
                "HX-Target": "case-panel",
                "HX-Current-URL": f"{world.base}/cases/{pk}/",
            }
            with self.client.post(
                f"/cases/{pk}/steps/{step}/", data=data, headers=headers, name=f"inbox: {step}", catch_response=True
            ) as answer:
                if answer.status_code == 200 and "message-success" not in answer.text:
                    answer.failure(f"the {step} step was refused on case {pk}")
                return str(answer.text)

    class Promise(Person):
        fixed_count = world.counts["promise"]

        def on_start(self) -> None:
            from locust.clients import HttpSession

            self.desk = world.desks[next(indexes["promise"]) % len(world.desks)]
            self.drafts = list(self.desk.drafts)
            self.promiser = HttpSession(self.host, self.environment.events.request, self)
            self.sign_in(self.desk.promiser_email, self.promiser)
            self.sign_in(self.desk.confirmer_email)
            super().on_start()

        @task
        def promise(self) -> None:
            if self.drafts:  # the salesperson asks the team about the next promise they would like to make
                pk = self.drafts.pop(0)
                page = self.page(f"/promises/{pk}/", "promise: draft", needs="request-version", client=self.promiser)
                version = re.search(r'name="request-version" value="(\d+)"', page)
                think()
                if version is not None:
                    self.act(
                        self.promiser,
                        f"/promises/{pk}/request/",
                        {"csrfmiddlewaretoken": csrf(page), "request-version": version.group(1)},
                        "promise: ask the team",
                        "promise-live",
                        f"/promises/{pk}/",
                    )
                think()
            requests_page = self.client.get("/promises/requests/", name="promise: requests")
            found = re.search(
                r'action="/promises/(\d+)/confirm/"[^>]*>.*?name="confirm-version" value="(\d+)"',
                requests_page.text,
                re.S,
            )
            think()
            if found is None:
                return
            token = csrf(requests_page.text)
            data = {"csrfmiddlewaretoken": token, "confirm-version": found.group(2), "back": "requests"}
            self.act(
                self.client,
                f"/promises/{found.group(1)}/confirm/",
                data,
                "promise: confirm",
                f"request-{found.group(1)}",
                "/promises/requests/",
            )

        def act(self, client: Any, url: str, data: dict[str, str], name: str, target: str, page: str) -> None:
            """A promise action sent as the page's htmx form sends it: the answer is the part it swaps (the promise's
            live part, or the request's card), with a message; a refusal comes back as that part with the reason."""
            headers = {"HX-Request": "true", "HX-Target": target, "HX-Current-URL": f"{world.base}{page}"}
            with client.post(url, data=data, headers=headers, name=name, catch_response=True) as answer:
                if answer.status_code == 200 and "message-success" not in answer.text:
                    answer.failure(f"{url} was refused")

    class Survey(Person):
        fixed_count = world.counts["survey"]

        @task
        def survey(self) -> None:
            self.as_new_customer()
            url = f"/s/{world.survey_key}/"
            page = self.page(url, "survey: page", needs="submission")
            submission = re.search(r'name="submission" value="([^"]*)"', page)
            think()
            marker = f"Load {world.run} answer {next(numbers)}"
            q = world.questions
            with self.client.post(
                f"{url}?page=1",
                data={
                    "csrfmiddlewaretoken": csrf(page),
                    "submission": submission.group(1) if submission else "",
                    f"q{q['csat']}": str(random.randint(1, 5)),
                    f"q{q['nps']}": str(random.randint(0, 10)),
                    f"q{q['text']}": marker,
                    "move": "submit",
                },
                name="survey: send",
                catch_response=True,
            ) as answer:
                if answer.status_code == 200 and 'data-outcome="thanks"' in answer.text:
                    stored["survey"].append(marker)
                elif answer.status_code == 200:
                    answer.failure("the survey answered without its thanks page")

    environment = Environment(user_classes=[Complaint, Inbox, Promise, Survey], stop_timeout=30)
    environment.events.request.add_listener(on_request)
    runner = environment.create_local_runner()

    def stop_in_time() -> None:
        deadline = time.perf_counter() + 120
        while not window["start"] and time.perf_counter() < deadline:
            gevent.sleep(0.1)
        if not window["start"]:
            first_errors.append("not everyone was in after 120 s (staff sign-in stuck?)")
            window["start"] = time.perf_counter()
        gevent.sleep(world.seconds)
        window["end"] = time.perf_counter()
        runner.quit()  # each person finishes the journey under way (up to stop_timeout)

    runner.start(users, spawn_rate=max(2.0, users / 5))
    gevent.spawn(stop_in_time)
    runner.greenlet.join()
    Path(world.results).write_text(
        json.dumps(
            {
                "seconds": window["end"] - window["start"],
                "requests": int(window["requests"]),
                "ramp_requests": int(window["ramp"]),
                "failures": int(window["errors"]),
                "all_requests": environment.stats.total.num_requests,
                "timings": timings,
                "per_request": per_request,
                "journey_failures": failures,
                "first_errors": first_errors,
                "stored": stored,
            }
        )
    )
    return 0


# Orchestration -----------------------------------------------------------------------------------------------


def app_env(database_url: str, var: Path, site_url: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "servicecycle.settings",
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "SERVICECYCLE_VAR_DIR": str(var),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": site_url,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
    }


def waiting_tasks() -> int:
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status="READY", run_after__lte=timezone.now()).count()


def drain(seconds: float) -> int:
    """Wait until the worker has run every task that is due (the seeding's mail); what is left after seconds."""
    deadline = time.monotonic() + seconds
    left = waiting_tasks()
    while left and time.monotonic() < deadline:
        time.sleep(1)
        left = waiting_tasks()
    return left


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = q / 100 * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def check_stored(run: str, stored: dict[str, list[str]]) -> tuple[bool, list[str]]:
    """Every complaint and survey answer the customers were thanked for is in the database exactly once."""
    from collections import Counter

    from servicecycle.cases.models import Case
    from servicecycle.surveys.models import Answer

    rows: dict[str, Counter[str]] = {
        "complaint": Counter(
            Case.objects.filter(subject__startswith=f"Load {run} complaint ").values_list("subject", flat=True)
        ),
        "survey": Counter(
            text or ""
            for text in Answer.objects.filter(text__startswith=f"Load {run} answer ").values_list("text", flat=True)
        ),
    }
    ok = True
    lines = []
    for name, label in (("complaint", "complaints"), ("survey", "survey answers")):
        sent = stored[name]
        missing = [m for m in sent if rows[name][m] == 0]
        doubled = [m for m in sent if rows[name][m] > 1]
        unseen = len(set(rows[name]) - set(sent))
        fine = not missing and not doubled and len(set(sent)) == len(sent)
        ok = ok and fine
        lines.append(
            f"stored {label}: {len(sent)} sent and thanked for, {len(sent) - len(missing) - len(doubled)} stored "
            f"exactly once, {len(missing)} missing, {len(doubled)} stored more than once"
            + (f" ({unseen} more stored whose answer the client never saw)" if unseen else "")
            + ("" if fine else "  MISSED")
        )
    return ok, lines


def report(world: World, results: dict[str, Any]) -> tuple[bool, list[str]]:
    seconds = results["seconds"]
    errors = results["failures"]
    lines = [
        f"requests: {results['requests']} in {seconds:.0f} s = {results['requests'] / seconds:.1f} requests/s "
        f"(after {results['ramp_requests']} while the staff signed in; {results['all_requests']} in all); "
        f"errors: {errors} of all requests (target 0){'' if errors == 0 else '  MISSED'}"
    ]
    ok = errors == 0
    for journey in (*JOURNEYS, "sign-in"):
        times = results["timings"].get(journey, [])
        p50, p95 = percentile(times, 50), percentile(times, 95)
        fails = results["journey_failures"].get(journey, 0)
        if journey == "sign-in":
            lines.append(
                f"journey sign-in: {len(times)} requests, p50 {p50:.0f} ms, p95 {p95:.0f} ms, {fails} errors "
                "(once per staff member; no target: password hashing is slow on purpose)"
            )
            continue
        met = bool(times) and p95 <= P95_TARGET_MS
        ok = ok and met
        lines.append(
            f"journey {journey} ({world.counts[journey]} people): {len(times)} requests, p50 {p50:.0f} ms, "
            f"p95 {p95:.0f} ms (target <= {P95_TARGET_MS:g} ms), {fails} errors  {'MET' if met else 'MISSED'}"
        )
    for name in sorted(results["per_request"]):
        times = results["per_request"][name]
        log(f"{name}: {len(times)} requests, p50 {percentile(times, 50):.0f} ms, p95 {percentile(times, 95):.0f} ms")
    for error in results["first_errors"]:
        log(f"error: {error}")
    return ok, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, help="simulated people (default 50; --quick 10)")
    parser.add_argument("--minutes", type=float, help="minutes of load (default 5; --quick 0.5)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 10 people for 30 seconds")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {DB_NAME}")
    parser.add_argument("--swarm", help=argparse.SUPPRESS)  # internal: the locust child process
    args = parser.parse_args(argv)
    if args.swarm:
        return swarm(args.swarm)
    users = args.users or (10 if args.quick else 50)
    minutes = args.minutes or (0.5 if args.quick else 5.0)
    if users < len(JOURNEYS):
        parser.error(f"--users must be at least {len(JOURNEYS)} (one person per journey)")
    if minutes <= 0:
        parser.error("--minutes must be more than 0")

    import cases_vs_helpdesk as shared  # the other bench's process, database and server helpers
    import psycopg

    try:
        psycopg.connect(shared.BENCH_POSTGRES_URL, connect_timeout=5).close()
    except Exception as exc:
        print(f"load: PostgreSQL is not reachable at {shared.BENCH_POSTGRES_URL} ({exc}); set BENCH_POSTGRES_URL")
        return 1

    cleanup = shared.Cleanup(keep=args.keep)

    def on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)  # also when started where Ctrl+C was ignored (a background job)
    counts = split_users(users)
    seconds = minutes * 60
    var = shared.SC_VAR  # shares the collected static files with the other bench
    var.mkdir(parents=True, exist_ok=True)
    port = shared.free_port()
    base = f"http://127.0.0.1:{port}"
    env = app_env(shared.db_url(DB_NAME), var, base)
    try:
        shared.fresh_database(cleanup, DB_NAME)
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command

        log("migrate, collect static files, set up the organization")
        call_command("migrate", verbosity=0)
        shared.collect_static()
        world = seed(counts, seconds, run=time.strftime("%H%M%S"))
        world.base = base

        bin_dir = Path(sys.executable).parent
        server = cleanup.start(
            "load-web",
            [
                *shared.gunicorn_argv(bin_dir / "gunicorn", "servicecycle.wsgi:application", port, WORKERS, THREADS),
                *("--keep-alive", "65"),  # as `servicecycle serve` (gunicorn_hooks.keepalive)
            ],
            env,
            ROOT,
        )
        worker = cleanup.start("load-worker", [str(bin_dir / "servicecycle"), "worker"], env, ROOT)
        shared.wait_until_up(base + "/accounts/login/", server, "load-web")
        log("waiting for the worker to send the seeding's mail")
        left = drain(180)
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited; see {shared.LOGS / 'load-worker.log'}")
        log(f"serving at {base}; worker running ({left} seeding tasks still waiting)")

        import requests

        for path in ("/accounts/login/", f"/c/{SLUG}/", f"/s/{world.survey_key}/"):  # warm the workers' caches
            for _ in range(4):
                requests.get(base + path, timeout=30)

        print(
            f"load: {users} simulated people for {minutes:g} min ({counts['complaint']} customers sending complaints, "
            f"{counts['inbox']} agents in the inbox, {counts['promise']} promise desks, {counts['survey']} customers "
            f"answering the survey) against gunicorn {WORKERS} workers x {THREADS} threads + 1 task worker, "
            "PostgreSQL, DEBUG off"
        )
        with tempfile.TemporaryDirectory(prefix="load-") as scratch:
            world.results = str(Path(scratch) / "results.json")
            world_file = Path(scratch) / "world.json"
            world_file.write_text(json.dumps(asdict(world)))
            child = subprocess.Popen(
                [sys.executable, __file__, "--swarm", str(world_file)], cwd=ROOT, start_new_session=True
            )
            cleanup.processes.append(child)  # type: ignore[arg-type]
            try:
                status = child.wait(timeout=seconds + 300)  # the ramp (at most 120 s) and the stop (30 s) fit
            except subprocess.TimeoutExpired:
                print(f"load: the locust process did not finish within {seconds + 300:.0f} s")
                return 1
            if status:
                print(f"load: the locust process failed (exit status {child.returncode})")
                return 1
            results = json.loads(Path(world.results).read_text())

        ok, lines = report(world, results)
        stored_ok, stored_lines = check_stored(world.run, results["stored"])
        ok = ok and stored_ok
        from django_tasks_db.models import DBTaskResult

        done = DBTaskResult.objects.filter(status="SUCCESSFUL").count()
        failed = DBTaskResult.objects.filter(status="FAILED").count()
        lines += [
            *stored_lines,
            f"worker: {done} tasks done, {failed} failed, {waiting_tasks()} due and still waiting at the end",
        ]
        if worker.poll() is not None:
            lines.append("worker: it exited during the run  MISSED")
            ok = False
        for line in lines:
            print(line)
        print(f"load: {'MET' if ok else 'MISSED'}")
        return 0 if ok else 1
    except KeyboardInterrupt:
        print("load: interrupted")
        return 1
    finally:
        cleanup.close()


if __name__ == "__main__":
    sys.exit(main())
