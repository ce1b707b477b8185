"""Survey import: 1,000,000 answers from a CSV through the app's import, against a raw psycopg COPY.

Run:  .venv/bin/python bench/survey_import.py            (100,000 responses x 10 questions = 1,000,000 answers)
      .venv/bin/python bench/survey_import.py --quick    (a smoke run: 10,000 responses)
      options: --responses N  --runs R  --keep   (BENCH_PROFILE=FILE: a cProfile of the import child)

PostgreSQL only. It works in a scratch database, bench_survey_import (BENCH_POSTGRES_URL, default
postgres://postgres@127.0.0.1:5432/postgres), migrated from scratch and dropped at the end unless --keep. The
organization and the open survey (NPS, CSAT, CES, four rating scales, two single choices, one free text) are made
through the app's actions; the CSV another tool would export (respondent id, submission time, one column per
question, and a column the import ignores) is generated with a fixed seed.

Measured:
  (a) the peer: the same 1,000,000 answer rows read from the CSV with the csv module and written with a raw
      psycopg ``cursor.copy`` into a bare table of the answer table's columns (no index, no constraint);
  (b) the import, through the same code path as the page and the command (``surveys.imports.run``, default
      "check first" mode: the whole file is checked once, its checked batches kept in a temporary file, then
      loaded in batches of 5,000 responses by COPY with the results' counts), run in a child process whose
      resident-set high-water mark (VmHWM) is the import's memory; for information, a raw COPY of the same rows
      into the answer table itself (its indexes and foreign keys), the floor of any load into that table;
  (c) the results page /surveys/<pk>/results/ of the imported survey through the Django test client, p50/p95
      (its counts come from the summary the import kept, surveys/figures.py);
  (d) the CSV export (``surveys.exports.csv_chunks``) streamed to a file in a child process: its time, and its
      peak RSS beside the RSS the same process had before the export began (flat memory: they stay close).
Targets: (b) answers/s >= 0.5 x (a); (b) peak RSS <= 300 MB; (c) p95 <= 300 ms. Exit status 1 if any is missed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

BENCH_POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = "bench_survey_import"
RATIO_TARGET = 0.5
RSS_TARGET_MB = 300.0
P95_TARGET_MS = 300.0
QUESTIONS = 10


def log(message: str) -> None:
    print(f"   {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def admin_connection() -> Any:
    import psycopg

    return psycopg.connect(BENCH_POSTGRES_URL, autocommit=True)


def db_url() -> str:
    return BENCH_POSTGRES_URL.rsplit("/", 1)[0] + "/" + DB_NAME


def create_database() -> None:
    with admin_connection() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    with admin_connection() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def setup_django(migrate: bool) -> None:
    os.environ["DATABASE_URL"] = db_url()
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only-survey-import-secret-key")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    os.environ["DJANGO_SETTINGS_MODULE"] = "servicecycle.settings"
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def build_survey() -> tuple[Any, Any]:
    from servicecycle.accounts import actions as accounts
    from servicecycle.surveys import actions as surveys

    org = accounts.create_organization(name="Bench Survey Imports", slug="bench-imports", time_zone="Europe/London")
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
    user = admin.user
    survey = surveys.create_survey(acting_user=user, titles={"en": "Customer survey exported from another tool"})
    add = surveys.add_question
    add(acting_user=user, survey=survey, kind="nps", texts={"en": "How likely are you to recommend us?"})
    add(acting_user=user, survey=survey, kind="csat", texts={"en": "How satisfied are you overall?"})
    add(acting_user=user, survey=survey, kind="ces", texts={"en": "How easy was it to get what you needed?"})
    for topic in ("delivery", "invoicing", "the showroom", "the phone line"):
        add(
            acting_user=user,
            survey=survey,
            kind="rating",
            texts={"en": f"Rate {topic}"},
            scale_min=1,
            scale_max=10,
        )
    for text, options in (
        ("Which branch did you use?", ("North", "South", "East", "West", "Online")),
        ("How did you contact us?", ("Phone", "Email", "Counter", "Chat")),
    ):
        add(
            acting_user=user,
            survey=survey,
            kind="single_choice",
            texts={"en": text},
            choices=[{"texts": {"en": o}} for o in options],
        )
    add(acting_user=user, survey=survey, kind="text", texts={"en": "Anything else?"}, required=False)
    survey = surveys.set_survey_status(acting_user=user, survey=survey, status="open")
    return admin, survey


def write_csv(path: Path, responses: int, rng: random.Random) -> list[str]:
    header = [
        "Respondent ID",
        "Submitted",
        "How likely are you to recommend us?",
        "How satisfied are you overall?",
        "How easy was it to get what you needed?",
        "Rate delivery",
        "Rate invoicing",
        "Rate the showroom",
        "Rate the phone line",
        "Which branch did you use?",
        "How did you contact us?",
        "Anything else?",
        "Collector",
    ]
    comments = ("Quick and friendly.", "The invoice was wrong twice.", "ok", "Parking is hard.", "Thanks!")
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for n in range(responses):
            writer.writerow(
                [
                    f"EXT-{n:07d}",
                    f"2025-{1 + n % 12:02d}-{1 + n % 28:02d} {n % 24:02d}:{n % 60:02d}:00",
                    rng.randint(0, 10),
                    rng.randint(1, 5),
                    rng.randint(1, 7),
                    rng.randint(1, 10),
                    rng.randint(1, 10),
                    rng.randint(1, 10),
                    rng.randint(1, 10),
                    rng.choice(("North", "South", "East", "West", "Online")),
                    rng.randint(1, 4),
                    rng.choice(comments),
                    "web collector 3",
                ]
            )
    return header


def raw_copy(path: Path, question_ids: list[int], response_ids: list[int] | None = None) -> tuple[float, int]:
    """The peer: the CSV's answers by psycopg COPY; returns (seconds, rows).

    Into a bare table of the answer table's columns; or, given the imported responses' ids, into the answer table
    itself with its indexes and its foreign keys checked at once, then rolled back (the floor for that table).
    """
    import psycopg

    options = {"North": 1, "South": 2, "East": 3, "West": 4, "Online": 5}
    rows = 0
    with psycopg.connect(db_url()) as conn:
        table = "bare_answer"
        if response_ids is None:
            conn.execute(
                "CREATE TABLE bare_answer (response_id integer, question_id integer, attribute_id integer, "
                "value smallint, importance smallint, performance smallint, competitor_performance smallint, "
                "expectation smallint, perception smallint, text text)"
            )
            conn.commit()
        else:
            table = "surveys_answer"
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        start = time.perf_counter()
        with conn.cursor() as cursor, path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            next(reader)
            with cursor.copy(
                f"COPY {table} (response_id, question_id, attribute_id, value, importance, performance, "
                "competitor_performance, expectation, perception, text) FROM STDIN"
            ) as copy:
                for n, cells in enumerate(reader, start=1):
                    rid = response_ids[n - 1] if response_ids is not None else n
                    for qid, cell in zip(question_ids[:9], cells[2:11], strict=True):
                        value = options[cell] if cell in options else int(cell)
                        copy.write_row((rid, qid, None, value, None, None, None, None, None, None))
                    copy.write_row((rid, question_ids[9], None, None, None, None, None, None, None, cells[11]))
                    rows += 10
        if response_ids is None:
            conn.commit()
        seconds = time.perf_counter() - start
        if response_ids is not None:
            conn.rollback()
    return seconds, rows


def child(kind: str, arg: str) -> dict[str, Any]:
    """Run one measured part in a fresh process (its own peak RSS); returns what it printed as JSON."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, arg], capture_output=True, text=True, check=False, env=os.environ
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {kind} child failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_rss_mb() -> float:
    """This process's resident-set high-water mark. /proc's VmHWM is the process's own; ru_maxrss also counts what
    the forked parent had before the exec, so it is only the fallback off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(kind: str, arg: str) -> None:
    setup_django(migrate=False)
    before = peak_rss_mb()
    if kind == "import":
        from servicecycle.surveys import imports

        start = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            with cProfile.Profile() as prof:
                job = imports.run(int(arg))
            prof.dump_stats(os.environ["BENCH_PROFILE"])
        else:
            job = imports.run(int(arg))
        seconds = time.perf_counter() - start
        assert job is not None
        out = {
            "seconds": seconds,
            "status": job.status,
            "responses": job.responses_created,
            "errors": job.errors[:5],
        }
    else:
        from servicecycle.surveys import exports
        from servicecycle.surveys.models import Survey

        survey = Survey.objects.get(pk=int(arg))
        start = time.perf_counter()
        size = 0
        with tempfile.TemporaryFile() as f:
            for chunk in exports.csv_chunks(survey):
                size += len(chunk)
                f.write(chunk)
        out = {"seconds": time.perf_counter() - start, "bytes": size}
    out["rss_before_mb"] = before
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--responses", type=int, default=None)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "ARG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(*args.child)
        return 0
    responses = args.responses or (10_000 if args.quick else 100_000)
    runs = args.runs or (20 if args.quick else 40)
    rng = random.Random(20261207)
    work = Path(tempfile.mkdtemp(prefix="bench-survey-import-"))
    os.environ["MEDIA_ROOT"] = str(work / "media")
    create_database()
    try:
        setup_django(migrate=True)
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        from servicecycle.surveys import imports
        from servicecycle.surveys.models import Answer, Response

        log("building the organization and the survey through the actions")
        admin, survey = build_survey()
        question_ids = list(survey.questions.order_by("position").values_list("pk", flat=True))
        path = work / "responses.csv"
        log(f"writing a CSV of {responses:,} responses")
        write_csv(path, responses, rng)
        answers = responses * QUESTIONS
        print(
            f"survey_import: {responses:,} responses x {QUESTIONS} questions = {answers:,} answers on PostgreSQL "
            f"({path.stat().st_size / 1e6:.1f} MB of CSV)"
        )

        log("peer: csv module + raw psycopg COPY into a bare table")
        raw_seconds, raw_rows = raw_copy(path, question_ids)
        raw_rate = raw_rows / raw_seconds

        log("import (check first, then COPY in batches) in a child process")
        with path.open("rb") as f:
            job = imports.start(acting_user=admin.user, survey=survey, file=f, file_name=path.name)
        imports.set_mapping(acting_user=admin.user, job=job, mapping=job.mapping)
        imports.queue(job, background=False)
        connection.close()
        result = child("import", str(job.pk))
        if result["status"] != "done":
            print(f"import: did not finish ({result['status']}): {result['errors']}")
            return 1
        stored = Answer.objects.filter(response__survey=survey).count()
        if stored != answers or Response.objects.filter(survey=survey).count() != responses:
            print(f"import: {stored:,} answers stored, {answers:,} expected")
            return 1
        rate = answers / result["seconds"]
        ratio = rate / raw_rate
        ok = True
        met = ratio >= RATIO_TARGET
        ok = ok and met
        print(
            f"import: {result['seconds']:.1f} s, {rate:,.0f} answers/s; raw COPY {raw_seconds:.1f} s, "
            f"{raw_rate:,.0f} rows/s; ratio {ratio:.2f} (target >= {RATIO_TARGET}) {'MET' if met else 'MISSED'}"
        )
        response_ids = list(Response.objects.filter(survey=survey).order_by("pk").values_list("pk", flat=True))
        floor_seconds, floor_rows = raw_copy(path, question_ids, response_ids)
        print(
            f"   for information: raw COPY of the same rows into the answer table itself (its indexes, foreign keys "
            f"checked at once, rolled back): {floor_seconds:.1f} s, {floor_rows / floor_seconds:,.0f} rows/s, ratio "
            f"{floor_rows / floor_seconds / raw_rate:.2f} to the peer; the import reaches "
            f"{rate / (floor_rows / floor_seconds):.2f} of this floor"
        )
        met = result["peak_rss_mb"] <= RSS_TARGET_MB
        ok = ok and met
        print(
            f"import peak RSS: {result['peak_rss_mb']:.0f} MB ({result['rss_before_mb']:.0f} MB after start-up) "
            f"(target <= {RSS_TARGET_MB:g}) {'MET' if met else 'MISSED'}"
        )

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        client = Client()
        client.force_login(admin.user)
        url = reverse("survey-results", kwargs={"pk": survey.pk})
        first = client.get(url)
        if first.status_code != 200:
            print(f"results page: answered {first.status_code}")
            return 1
        client.get(url)
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
        met = p95(samples) <= P95_TARGET_MS
        ok = ok and met
        print(
            f"results page ({responses:,} responses): p50 {statistics.median(samples):.0f} ms, p95 "
            f"{p95(samples):.0f} ms over {runs} runs (target <= {P95_TARGET_MS:g}) {'MET' if met else 'MISSED'}"
        )

        connection.close()
        export = child("export", str(survey.pk))
        print(
            f"CSV export: {export['seconds']:.1f} s, {export['bytes'] / 1e6:.1f} MB streamed; peak RSS "
            f"{export['peak_rss_mb']:.0f} MB, {export['rss_before_mb']:.0f} MB before the export began "
            f"(flat memory: for information)"
        )
        return 0 if ok else 1
    finally:
        if not args.keep:
            drop_database()
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
