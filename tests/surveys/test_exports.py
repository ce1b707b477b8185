"""Exporting a survey's responses (CSV, XLSX, JSON): contents, a round trip through the import, permissions,
query counts independent of the number of responses, and the command."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import fastexcel
import pytest
from django.core.management import call_command
from django.urls import reverse

from servicecycle.surveys import actions, exports, imports
from servicecycle.surveys.models import Attribute, ImportJob, Question, Survey
from tests.factories import World
from tests.surveys import builders

K = Question.Kind


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _survey(world: World, title: str = "Export survey") -> tuple[Survey, dict[str, Question]]:
    a = world.admin
    s = builders.survey(a, title)
    qs = {
        "nps": builders.question(a, s, K.NPS, "Recommend?"),
        "topics": builders.question(
            a,
            s,
            K.MULTIPLE_CHOICE,
            "Topics?",
            required=False,
            choices=[{"texts": {"en": "Prices"}}, {"texts": {"en": "Delivery"}}, {"texts": {"en": "Returns"}}],
        ),
        "text": builders.question(a, s, K.TEXT, "Why?", required=False),
        "pair": builders.question(a, s, K.SERVQUAL_PAIR, "Staff are polite", dimension="empathy"),
    }
    qs["grid"] = builders.grid(a, s, ("On time", "Friendly"), competitor_name="Rival")
    builders.open_survey(a, s)
    return s, qs


def _answer(s: Survey, qs: dict[str, Question], n: int) -> None:
    on_time, friendly = builders.attributes(qs["grid"])
    answers: list[dict[str, Any]] = [
        {"question": qs["nps"].pk, "value": n % 11},
        {"question": qs["pair"].pk, "expectation": 7, "perception": 1 + n % 7},
        {"question": qs["grid"].pk, "attribute": on_time.pk, "importance": 6, "performance": 1 + n % 7},
        {
            "question": qs["grid"].pk,
            "attribute": friendly.pk,
            "importance": 4,
            "performance": 5,
            "competitor_performance": 3,
        },
    ]
    if n % 2:
        answers.append({"question": qs["topics"].pk, "choices": [3, 1]})
    if n % 3 == 0:
        answers.append({"question": qs["text"].pk, "text": f'Because, "quoted"\nline {n}'})
    actions.record_response(survey=s, answers=answers, channel="email")


def _content(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_csv_export_has_one_row_per_response_and_one_column_per_question_part(world: World, client_for: Any) -> None:
    s, qs = _survey(world)
    for n in range(1, 5):
        _answer(s, qs, n)
    response = client_for("admin").get(reverse("survey-export", kwargs={"pk": s.pk, "fmt": "csv"}))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="survey-' in response["Content-Disposition"]
    text = _content(response).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    header = [h.split(":")[0] for h in table[0]]
    assert header == [
        "response_id",
        "respondent_id",
        "submitted_at",
        "language",
        "channel",
        "wave",
        "customer_email",
        "Q1",
        "Q2",
        "Q3",
        "Q4.expectation",
        "Q4.perception",
        "Q5.A1.importance",
        "Q5.A1.performance",
        "Q5.A1.competitor_performance",
        "Q5.A2.importance",
        "Q5.A2.performance",
        "Q5.A2.competitor_performance",
    ]
    assert table[0][7] == "Q1: Recommend?"
    assert len(table) == 5
    by_code = [dict(zip(header, row, strict=True)) for row in table[1:]]
    third = by_code[2]
    assert (third["Q1"], third["Q2"], third["Q3"]) == ("3", "1;3", 'Because, "quoted"\nline 3')
    assert (third["Q4.expectation"], third["Q4.perception"]) == ("7", "4")
    assert (third["Q5.A1.importance"], third["Q5.A1.performance"], third["Q5.A1.competitor_performance"]) == (
        "6",
        "4",
        "",
    )
    assert (third["Q5.A2.competitor_performance"], third["channel"]) == ("3", "email")
    assert by_code[1]["Q2"] == "" and by_code[1]["Q3"] == ""


def test_json_and_xlsx_exports_hold_the_same_rows(world: World, client_for: Any, tmp_path: Path) -> None:
    s, qs = _survey(world)
    for n in range(1, 4):
        _answer(s, qs, n)
    client = client_for("admin")
    csv_rows = list(
        csv.reader(
            io.StringIO(
                _content(client.get(reverse("survey-export", kwargs={"pk": s.pk, "fmt": "csv"}))).decode("utf-8-sig")
            )
        )
    )
    data = json.loads(_content(client.get(reverse("survey-export", kwargs={"pk": s.pk, "fmt": "json"}))))
    keys = [c["key"] for c in data["columns"]]
    assert [c["label"] for c in data["columns"]] == csv_rows[0]
    assert len(data["responses"]) == 3
    for row, obj in zip(csv_rows[1:], data["responses"], strict=True):
        assert {k: str(v) for k, v in obj.items()} == {k: v for k, v in zip(keys, row, strict=True) if v != ""}
    xlsx = client.get(reverse("survey-export", kwargs={"pk": s.pk, "fmt": "xlsx"}))
    assert xlsx.status_code == 200
    path = tmp_path / "out.xlsx"
    path.write_bytes(_content(xlsx))
    frame = fastexcel.read_excel(str(path)).load_sheet(0).to_polars()
    assert list(frame.columns) == csv_rows[0]
    for row, values in zip(csv_rows[1:], frame.iter_rows(), strict=True):
        got = ["" if v is None else str(int(v)) if isinstance(v, float) else str(v) for v in values]
        assert got == row


def test_export_round_trips_through_the_import(world: World, tmp_path: Path) -> None:
    s, qs = _survey(world)
    for n in range(1, 8):
        _answer(s, qs, n)
    path = tmp_path / "export.csv"
    with path.open("wb") as out:
        exports.write(s, "csv", out)
    copy, copy_qs = _survey(world, "The same survey, elsewhere")
    with path.open("rb") as f:
        job = imports.start(acting_user=world.admin.user, survey=copy, file=f, file_name="export.csv")
    assert set(job.mapping.values()) >= {"Q1", "Q2", "Q3", "Q5.A2.competitor_performance", "submitted_at"}
    imports.queue(job)
    done = imports.run(job.pk)
    assert done is not None and (done.status, done.responses_created) == (ImportJob.Status.DONE, 7)

    def answers(survey: Survey, q: dict[str, Question]) -> list[tuple[Any, ...]]:
        names = {v.pk: k for k, v in q.items()}
        positions = {a.pk: a.position for a in Attribute.objects.all()}
        return sorted(
            (
                r.submitted_at,
                names[a.question_id],
                positions.get(a.attribute_id or 0),
                a.value,
                a.importance,
                a.performance,
                a.competitor_performance,
                a.expectation,
                a.perception,
                a.text,
            )
            for r in survey.responses.all()
            for a in r.answers.all()
        )

    assert answers(copy, copy_qs) == answers(s, qs)


@pytest.mark.parametrize(
    "role,status", [("admin", 200), ("manager", 200), ("agent", 403), ("viewer", 403), ("outsider", 404)]
)
def test_export_permissions(world: World, client_for: Any, role: str, status: int) -> None:
    s, qs = _survey(world)
    _answer(s, qs, 1)
    for fmt in ("csv", "xlsx", "json"):
        response = client_for(role).get(reverse("survey-export", kwargs={"pk": s.pk, "fmt": fmt}))
        assert response.status_code == status
        if status == 200:
            assert _content(response)
    assert client_for("admin").get(reverse("survey-export", kwargs={"pk": s.pk, "fmt": "pdf"})).status_code == 404


def test_export_query_count_does_not_grow_with_responses(
    world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    s, qs = _survey(world)
    client = client_for("admin")
    url = reverse("survey-export", kwargs={"pk": s.pk, "fmt": "csv"})
    client.get(url)
    for n in range(3):
        _answer(s, qs, n)
    with django_assert_num_queries(EXPORT_QUERIES):
        assert len(_content(client.get(url)).splitlines()) > 3
    for n in range(30):
        _answer(s, qs, n)
    with django_assert_num_queries(EXPORT_QUERIES):
        _content(client.get(url))


EXPORT_QUERIES = 12  # session, user, staff, survey, structure, audit, responses, answers per 1000 responses


def test_export_command(world: World, tmp_path: Path) -> None:
    s, qs = _survey(world)
    for n in range(1, 3):
        _answer(s, qs, n)
    for fmt in ("csv", "json", "xlsx"):
        out = tmp_path / f"responses.{fmt}"
        stdout = io.StringIO()
        call_command("export_survey_responses", str(s.pk), "--format", fmt, "-o", str(out), stdout=stdout)
        assert "2 responses" in stdout.getvalue() and out.stat().st_size > 100
    assert len(json.loads((tmp_path / "responses.json").read_text())["responses"]) == 2
