"""The results' counts (``SurveyFigure``), kept exact by the writes themselves.

A survey of 100,000 responses has a million answers: no grouped count over them (joined with the responses for
the wave, service, moment and channel) answers within the results page's 300 ms. The page sums these rows
instead: one per (survey, question, wave, service, moment, channel, value), a few hundred for a big survey.

What a row counts (``SurveyFigure``'s docstring): for question 0 the responses; for a question and a value the
answers with that value and no attribute (scores, single choice, each ticked option of a multiple choice); for a
question and ``ANSWERED`` (-1) the responses that answered it (a value or a text, no attribute). Grids,
SERVQUAL pairs and allocations are not counted here: the results read those from the answers, per question.

How the rows stay exact:

* the only writers of responses and answers, ``actions.responses.record_response`` and the import's
  ``imports.write_batch``, call ``add`` with the counts of what they wrote, inside their own transaction: a
  rolled-back write takes its counts with it. ``add`` is one ``INSERT ... ON CONFLICT DO UPDATE SET n = n +
  excluded.n`` with the rows in key order, so two writers to the same survey lock the rows in the same order
  and never wait on each other in a circle;
* responses and answers are never edited afterwards, and a survey's deletion deletes its rows (CASCADE). A
  question can only be removed from a draft survey; a removed question's rows are not read (the results read
  the survey's questions). A moment (or service) deleted later sets the responses' moment to NULL but leaves
  its id here: ``known`` folds the ids that are no longer the organization's into "none" when reading, which is
  what a recount over the responses would give;
* ``rebuild`` recounts a survey from its answers (migration ``0005`` for the surveys that existed, the command
  ``rebuild_survey_figures`` for rows written outside the app, such as manual SQL). On PostgreSQL the writers
  take a shared advisory lock on the survey and ``rebuild`` an exclusive one, so a rebuild never runs beside a
  write whose counts it would count twice or miss.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from servicecycle.surveys.models import Answer, Response, Survey, SurveyFigure

# (question_id, wave_id, service_id, moment_id, channel, value)
Key = tuple[int, int, int, int, str, int]
_COLUMNS = ("survey_id", "question_id", "wave_id", "service_id", "moment_id", "channel", "value", "n")


def _lock(survey_id: int, *, shared: bool) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite lets one writer at a time anyway
    key = zlib.crc32(f"survey-figures:{survey_id}".encode())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_advisory_xact_lock{'_shared' if shared else ''}(%s)", [key])


def response_counts(
    counts: Counter[Key],
    *,
    wave_id: int | None,
    service_id: int | None,
    moment_id: int | None,
    channel: str,
    answers: Iterable[Sequence[Any]],
) -> None:
    """Add one response and its answer rows (``ANSWER_COLUMNS`` order: question, attribute, value, ..., text)."""
    head = (wave_id or 0, service_id or 0, moment_id or 0, channel)
    counts[(SurveyFigure.RESPONSES, *head, SurveyFigure.ANSWERED)] += 1
    answered: set[int] = set()
    for row in answers:
        question_id, attribute_id, value, text = row[0], row[1], row[2], row[-1]
        if attribute_id is not None:
            continue
        if value is not None:
            counts[(question_id, *head, value)] += 1
            answered.add(question_id)
        elif text is not None:
            answered.add(question_id)
    for question_id in answered:
        counts[(question_id, *head, SurveyFigure.ANSWERED)] += 1


def add(survey_id: int, counts: Counter[Key]) -> None:
    """Add counts to the survey's rows, inside the caller's transaction (the write they count)."""
    rows = sorted((k, n) for k, n in counts.items() if n)
    if not rows:
        return
    _lock(survey_id, shared=True)
    table = connection.ops.quote_name(SurveyFigure._meta.db_table)
    conflict = ", ".join(_COLUMNS[:-1])
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES "  # noqa: S608 (a model's table)
                + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
                + f" ON CONFLICT ({conflict}) DO UPDATE SET n = {table}.n + excluded.n",
                [v for key, n in chunk for v in (survey_id, *key, n)],
            )


def recount(survey: Survey | int) -> Counter[Key]:
    """The survey's counts counted afresh from its responses and answers (what the rows must equal)."""
    survey_id = survey if isinstance(survey, int) else survey.pk
    counts: Counter[Key] = Counter()
    head = ("wave_id", "service_id", "moment_id", "channel")
    for row in Response.objects.filter(survey_id=survey_id).values(*head).annotate(n=Count("id")).order_by():
        counts[(SurveyFigure.RESPONSES, *_head(row, ""), SurveyFigure.ANSWERED)] += row["n"]
    answers = Answer.objects.filter(response__survey_id=survey_id, attribute__isnull=True)
    response_head = [f"response__{h}" for h in head]
    for row in (
        answers.filter(value__isnull=False)
        .values("question_id", *response_head, "value")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[(row["question_id"], *_head(row, "response__"), row["value"])] += row["n"]
    for row in (
        answers.filter(Q(value__isnull=False) | Q(text__isnull=False))
        .values("question_id", *response_head)
        .annotate(n=Count("response_id", distinct=True))
        .order_by()
    ):
        counts[(row["question_id"], *_head(row, "response__"), SurveyFigure.ANSWERED)] += row["n"]
    return counts


def _head(row: dict[str, Any], prefix: str) -> tuple[int, int, int, str]:
    return (
        row[f"{prefix}wave_id"] or 0,
        row[f"{prefix}service_id"] or 0,
        row[f"{prefix}moment_id"] or 0,
        row[f"{prefix}channel"],
    )


def stored(survey: Survey | int) -> Counter[Key]:
    """The survey's rows as counts."""
    survey_id = survey if isinstance(survey, int) else survey.pk
    counts: Counter[Key] = Counter()
    for row in SurveyFigure.objects.filter(survey_id=survey_id).values_list(*_COLUMNS[1:]):
        if row[-1]:
            counts[row[:-1]] += row[-1]
    return counts


def rebuild(survey: Survey | int) -> int:
    """Recount the survey's rows from its answers; returns how many rows it now has."""
    survey_id = survey if isinstance(survey, int) else survey.pk
    with transaction.atomic():
        _lock(survey_id, shared=False)
        SurveyFigure.objects.filter(survey_id=survey_id).delete()
        counts = recount(survey_id)
        SurveyFigure.objects.bulk_create(
            SurveyFigure(
                survey_id=survey_id,
                question_id=q,
                wave_id=w,
                service_id=s,
                moment_id=m,
                channel=c,
                value=v,
                n=n,
            )
            for (q, w, s, m, c, v), n in sorted(counts.items())
        )
    return len(counts)


def known(counts: Counter[Key], *, services: set[int], moments: set[int]) -> Counter[Key]:
    """The counts with the ids of services and moments deleted since folded into "none" (as the responses are)."""
    folded: Counter[Key] = Counter()
    for (q, w, s, m, c, v), n in counts.items():
        folded[(q, w, s if s in services else 0, m if m in moments else 0, c, v)] += n
    return folded


def total(survey_id: int, **filters: Any) -> int:
    """The sum of the survey's rows that match ``filters`` (column=value)."""
    return SurveyFigure.objects.filter(survey_id=survey_id, **filters).aggregate(n=Sum("n"))["n"] or 0
