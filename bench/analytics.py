"""Benchmarks for servicecycle's analytics methods.

Run:  .venv/bin/python bench/analytics.py            (every section)
      .venv/bin/python bench/analytics.py --only lmg (one section)

The answers section needs PostgreSQL (BENCH_POSTGRES_URL, default
postgres://postgres@127.0.0.1:5432/postgres); it works in a scratch database it drops at the end.

Each section prints one line per comparison and returns True when its target is
met; the script exits 1 if any target is missed. Add a section by writing a
function that returns bool and listing it in SECTIONS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from servicecycle.analytics.methods.drivers import key_drivers

if TYPE_CHECKING:
    import psycopg

BENCH_POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def best_time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Fastest of ``repeat`` runs (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def section_lmg(rows: int = 100_000, predictors: int = 10, target: float = 10.0) -> bool:
    """LMG on 100,000 rows x 10 correlated predictors vs pingouin's relimp."""
    import pandas as pd
    import pingouin as pg

    rng = np.random.default_rng(20240601)
    mix = rng.normal(scale=0.4, size=(predictors, predictors)) + np.eye(predictors)
    x = rng.normal(size=(rows, predictors)) @ mix
    y = x @ rng.uniform(0.1, 1.0, predictors) + rng.normal(scale=3.0, size=rows)
    names = [f"x{i + 1}" for i in range(predictors)]
    frame = pd.DataFrame(x, columns=names)

    ours_s, ours = best_time(lambda: key_drivers(x, y, names, method="lmg"), repeat=5)
    ref_s, ref = best_time(lambda: pg.linear_regression(frame, y, relimp=True), repeat=3)
    ours_w = np.array([d.weight for d in ours.drivers])  # type: ignore[union-attr]
    ref_w = ref["relimp"].to_numpy()[1:]  # type: ignore[index]
    diff = float(np.max(np.abs(ours_w - ref_w)))
    if diff > 1e-8:
        print(f"lmg: results differ from pingouin by {diff:.2e} (allowed 1e-8)")
        return False
    ratio = ref_s / ours_s
    ok = ratio >= target
    print(
        f"lmg: servicecycle {ours_s:.3f} s, pingouin {ref_s:.3f} s, ratio {ratio:.1f}x "
        f"(target >= {target:g}x){'' if ok else '  MISSED'}  [max |diff| {diff:.1e}]"
    )
    return ok


# The hand-written peer of the answers section: one aggregate query per figure, the figures computed in SQL.
HAND_NPS = """
    SELECT count(*) FILTER (WHERE value >= 9), count(*) FILTER (WHERE value BETWEEN 7 AND 8),
           count(*) FILTER (WHERE value <= 6),
           100.0 * (count(*) FILTER (WHERE value >= 9) - count(*) FILTER (WHERE value <= 6)) / count(*)
    FROM surveys_answer WHERE question_id = %s AND value IS NOT NULL"""
HAND_CSAT = """
    SELECT count(*) FILTER (WHERE value >= 4), count(*), 100.0 * count(*) FILTER (WHERE value >= 4) / count(*)
    FROM surveys_answer WHERE question_id = %s AND value IS NOT NULL"""
HAND_IPA = """
    SELECT attribute_id, imp, perf, comp, perf - comp,
           CASE WHEN imp >= avg(imp) OVER () THEN
                CASE WHEN perf >= avg(perf) OVER () THEN 'keep_up_good_work' ELSE 'concentrate_here' END
           ELSE CASE WHEN perf >= avg(perf) OVER () THEN 'possible_overkill' ELSE 'low_priority' END END
    FROM (SELECT attribute_id, avg(importance)::float8 AS imp, avg(performance)::float8 AS perf,
                 avg(competitor_performance)::float8 AS comp
          FROM surveys_answer WHERE question_id = %s AND attribute_id IS NOT NULL
          GROUP BY attribute_id) AS per_attribute
    ORDER BY attribute_id"""


def _survey_answers(
    rng: np.random.Generator,
    responses: int,
    first_id: int,
    q: dict[str, int],
    attribute_ids: list[int],
    survey_id: int,
    wave_id: int,
) -> tuple[bytes, bytes]:
    """CSV for COPY: ``responses`` responses, each with an NPS, a CSAT and one answer per grid attribute."""
    import polars as pl

    ids = np.arange(first_id, first_id + responses, dtype=np.int64)
    seconds = np.datetime64("2025-03-01T00:00:00", "us") + np.arange(responses) * np.timedelta64(37, "s")
    submitted = pl.Series(seconds).dt.replace_time_zone("UTC")
    response_csv = io.BytesIO()
    pl.DataFrame(
        {
            "id": ids,
            "survey_id": survey_id,
            "wave_id": wave_id,
            "channel": rng.choice(["web", "email", "sms"], size=responses, p=[0.6, 0.3, 0.1]),
            "language": "en",
            "started_at": submitted - dt.timedelta(minutes=3),
            "submitted_at": submitted,
        }
    ).write_csv(response_csv, include_header=False)

    blocks = [
        pl.DataFrame(
            {
                "response_id": ids,
                "question_id": q["nps"],
                "value": rng.choice(11, size=responses, p=np.arange(1, 12) / 66).astype(np.int16),
            }
        ),
        pl.DataFrame(
            {
                "response_id": ids,
                "question_id": q["csat"],
                "value": rng.choice(np.arange(1, 6), size=responses, p=[0.08, 0.12, 0.2, 0.3, 0.3]).astype(np.int16),
            }
        ),
    ]

    def score(centre: float) -> np.ndarray:
        return np.clip(np.rint(rng.normal(centre, 1.3, responses)), 1, 7).astype(np.int16)

    for index, attribute_id in enumerate(attribute_ids):
        competitor = pl.Series(score(4.0)).set(pl.Series(rng.random(responses) >= 0.6), None)  # 60 % rate them
        blocks.append(
            pl.DataFrame(
                {
                    "response_id": ids,
                    "question_id": q["grid"],
                    "attribute_id": attribute_id,
                    "importance": score(3.0 + index * 0.45),
                    "performance": score(6.0 - index * 0.4),
                    "competitor_performance": competitor,
                }
            )
        )
    answers = pl.concat(blocks, how="diagonal").sort("response_id", maintain_order=True)  # a response's rows together
    answer_csv = io.BytesIO()
    answers.select(
        "response_id", "question_id", "attribute_id", "value", "importance", "performance", "competitor_performance"
    ).write_csv(answer_csv, include_header=False)
    return response_csv.getvalue(), answer_csv.getvalue()


def section_answers(responses: int = 100_000, target: float = 2.0) -> bool:
    """NPS, CSAT and IPA over 1,000,000 stored answers (100,000 responses x 10) vs hand-written SQL."""
    import psycopg

    name = f"servicecycle_bench_{os.getpid()}"
    try:
        admin = psycopg.connect(BENCH_POSTGRES_URL, autocommit=True)
    except psycopg.Error as exc:
        print(f"answers: PostgreSQL is not reachable at {BENCH_POSTGRES_URL} ({exc}); set BENCH_POSTGRES_URL")
        return False
    admin.execute(f'CREATE DATABASE "{name}"')
    raw = None
    try:
        url = BENCH_POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
        os.environ.update({"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "servicecycle.settings", "DEBUG": "0"})
        os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        raw = psycopg.connect(url, autocommit=True)
        return _answers_bench(raw, responses, target)
    finally:
        from django.db import connections

        connections.close_all()
        if raw is not None:
            raw.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _answers_bench(raw: psycopg.Connection[Any], responses: int, target: float) -> bool:
    from servicecycle.accounts import actions as accounts
    from servicecycle.analytics import reports
    from servicecycle.surveys import actions as surveys
    from servicecycle.surveys.queries import answers_to

    organization = accounts.create_organization(name="Bench Supplies", slug="bench")
    manager = accounts.create_staff(
        acting_user=None,
        organization=organization,
        email="bench@example.test",
        first_name="Bench",
        last_name="Manager",
        role="manager",
    ).user
    survey = surveys.create_survey(acting_user=manager, titles={"en": "After delivery"})
    nps_q = surveys.add_question(acting_user=manager, survey=survey, kind="nps", texts={"en": "Recommend us?"})
    csat_q = surveys.add_question(acting_user=manager, survey=survey, kind="csat", texts={"en": "Satisfied?"})
    grid = surveys.add_question(
        acting_user=manager,
        survey=survey,
        kind="ipa_grid",
        scale_min=1,
        scale_max=7,
        texts={"en": "Importance and our performance"},
        competitor_name="BuildMart",
    )
    attributes = [
        surveys.add_attribute(acting_user=manager, question=grid, texts={"en": text}).pk
        for text in (
            "On time",
            "Undamaged",
            "Clear invoice",
            "Polite driver",
            "Easy ordering",
            "Fair price",
            "Quick answers",
            "Order tracking",
        )
    ]
    wave = surveys.add_wave(acting_user=manager, survey=survey, name="2025 Q1", starts_on=dt.date(2025, 1, 1))
    surveys.set_survey_status(acting_user=manager, survey=survey, status="open")

    start = time.perf_counter()
    cur = raw.cursor()
    sequence = cur.execute("SELECT pg_get_serial_sequence('surveys_response', 'id')").fetchone()[0]
    first_id = cur.execute("SELECT nextval(%s)", [sequence]).fetchone()[0]
    cur.execute("SELECT setval(%s, %s)", [sequence, first_id + responses - 1])  # the ids are ours now
    response_csv, answer_csv = _survey_answers(
        np.random.default_rng(20250601),
        responses,
        first_id,
        {"nps": nps_q.pk, "csat": csat_q.pk, "grid": grid.pk},
        attributes,
        survey.pk,
        wave.pk,
    )
    with raw.transaction():  # the import path of issue #6: COPY, in one transaction
        with cur.copy(
            "COPY surveys_response (id, survey_id, wave_id, channel, language, started_at, submitted_at) "
            "FROM STDIN (FORMAT csv)"
        ) as copy:
            copy.write(response_csv)
        with cur.copy(
            "COPY surveys_answer (response_id, question_id, attribute_id, value, importance, performance, "
            "competitor_performance) FROM STDIN (FORMAT csv)"
        ) as copy:
            copy.write(answer_csv)
    # as autovacuum would after an import: statistics, and the visibility map index-only scans need
    cur.execute("VACUUM ANALYZE surveys_response")
    cur.execute("VACUUM ANALYZE surveys_answer")
    stored = cur.execute("SELECT count(*) FROM surveys_answer").fetchone()[0]
    load_s = time.perf_counter() - start

    def ours() -> tuple[object, object, object]:
        return (
            reports.nps_of(answers_to(nps_q)),
            reports.csat_of(answers_to(csat_q)),
            reports.ipa_of(answers_to(grid)),
        )

    def hand() -> tuple[object, object, object]:
        return (
            cur.execute(HAND_NPS, [nps_q.pk]).fetchone(),
            cur.execute(HAND_CSAT, [csat_q.pk]).fetchone(),
            cur.execute(HAND_IPA, [grid.pk]).fetchall(),
        )

    ours(), hand()  # warm-up: caches, plans
    ours_s, (nps, csat, ipa) = best_time(ours, repeat=5)  # type: ignore[misc]
    hand_s, (h_nps, h_csat, h_ipa) = best_time(hand, repeat=5)  # type: ignore[misc]

    pairs = list(
        zip(
            [nps.promoters, nps.passives, nps.detractors, nps.nps, csat.top_two, csat.n, csat.csat],
            [*h_nps, *h_csat],
            strict=True,
        )
    )
    if len(h_ipa) != len(ipa.attributes):
        print(f"answers: IPA has {len(ipa.attributes)} attributes, the hand-written SQL {len(h_ipa)}")
        return False
    for a, row in zip(ipa.attributes, h_ipa, strict=True):
        pairs += zip([a.importance, a.performance, a.competitor_performance, a.gap, a.quadrant], row[1:], strict=True)
    differ = [(o, h) for o, h in pairs if (o != h if isinstance(o, str | None) else abs(float(o) - float(h)) > 1e-9)]
    if differ:
        print(f"answers: servicecycle and hand-written SQL disagree (ours, SQL): {differ[:3]}")
        return False
    ratio = ours_s / hand_s
    ok = ratio <= target
    print(
        f"answers: nps+csat+ipa over {stored:,} answers: servicecycle {ours_s:.3f} s, hand-written SQL "
        f"{hand_s:.3f} s, ratio {ratio:.2f}x (target <= {target:g}x){'' if ok else '  MISSED'}  "
        f"[loaded {responses:,} responses by COPY in {load_s:.1f} s; NPS {nps.nps:.1f}, CSAT {csat.csat:.1f} %]"
    )
    return ok


SECTIONS: dict[str, Callable[[], bool]] = {
    "lmg": section_lmg,
    "answers": section_answers,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append", help="run only this section")
    args = parser.parse_args(argv)
    chosen = args.only or list(SECTIONS)
    results = [SECTIONS[name]() for name in chosen]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
