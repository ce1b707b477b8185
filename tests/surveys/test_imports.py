"""Importing responses from CSV and XLSX files: mapping, row/column errors, nothing partial saved, resume,
the pages (upload, mapping, progress, list) and the command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from servicecycle.core.errors import PermissionDenied, ValidationFailed
from servicecycle.surveys import imports
from servicecycle.surveys.models import Answer, ImportedRespondent, ImportJob, Question, Response, Survey
from tests.factories import World
from tests.surveys import builders

K = Question.Kind
S = ImportJob.Status

HEADER = [
    "Respondent ID",
    "Submitted",
    "Language",
    "How likely are you to recommend us?",
    "Q2",
    "Which office?",
    "Q4",
    "Anything else?",
    "Q6.expectation",
    "Q6.perception",
    "Q7.A1.importance",
    "Q7.A1.performance",
    "Q7.A2.importance",
    "Q7.A2.performance",
    "Unrelated column",
]


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _survey(world: World) -> tuple[Survey, dict[str, Question]]:
    a = world.admin
    s = builders.survey(a, languages=["en", "es"])
    qs = {
        "nps": builders.question(a, s, K.NPS, "How likely are you to recommend us?"),
        "csat": builders.question(a, s, K.CSAT, "How satisfied are you?"),
        "office": builders.question(
            a,
            s,
            K.SINGLE_CHOICE,
            "Which office?",
            choices=[{"texts": {"en": "North"}}, {"texts": {"en": "South"}}],
        ),
        "topics": builders.question(
            a,
            s,
            K.MULTIPLE_CHOICE,
            "What did you ask about?",
            required=False,
            choices=[{"texts": {"en": "Prices"}}, {"texts": {"en": "Delivery"}}, {"texts": {"en": "Returns"}}],
        ),
        "text": builders.question(a, s, K.TEXT, "Anything else?", required=False),
        "pair": builders.question(a, s, K.SERVQUAL_PAIR, "Staff are polite", dimension="empathy"),
    }
    qs["grid"] = builders.grid(a, s, ("On time", "Friendly"))
    builders.open_survey(a, s)
    return s, qs


def _row(n: int, **over: Any) -> list[Any]:
    row = {
        "Respondent ID": f"R{n}",
        "Submitted": "2026-03-01 10:00:00",
        "Language": "en",
        "How likely are you to recommend us?": n % 11,
        "Q2": 1 + n % 5,
        "Which office?": "South" if n % 2 else "1",
        "Q4": "1;3" if n % 3 == 0 else "",
        "Anything else?": f"comment {n}" if n % 4 == 0 else "",
        "Q6.expectation": 6,
        "Q6.perception": 1 + n % 7,
        "Q7.A1.importance": 7,
        "Q7.A1.performance": 1 + n % 7,
        "Q7.A2.importance": 5,
        "Q7.A2.performance": 4,
        "Unrelated column": "ignored",
    }
    row.update(over)
    return [row[h] for h in HEADER]


def _csv(path: Path, rows: list[list[Any]], header: list[str] = HEADER, encoding: str = "utf-8-sig") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _xlsx(path: Path, rows: list[list[Any]], header: list[str] = HEADER) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, header)
    for i, row in enumerate(rows, start=1):
        sheet.write_row(i, 0, row)
    book.close()
    return path


def _start(world: World, survey: Survey, path: Path, **kw: Any) -> ImportJob:
    with path.open("rb") as f:
        return imports.start(acting_user=world.admin.user, survey=survey, file=f, file_name=path.name, **kw)


def _run(job: ImportJob, size: int = imports.BATCH_SIZE) -> ImportJob:
    imports.queue(job)
    result = imports.run(job.pk, size=size)
    assert result is not None
    return result


def _counts(survey: Survey) -> tuple[int, int, int]:
    return (
        Response.objects.filter(survey=survey).count(),
        Answer.objects.filter(response__survey=survey).count(),
        ImportedRespondent.objects.filter(survey=survey).count(),
    )


def test_mapping_is_proposed_from_the_header(world: World, tmp_path: Path) -> None:
    s, _qs = _survey(world)
    job = _start(world, s, _csv(tmp_path / "a.csv", [_row(1)]))
    assert job.columns == HEADER
    assert job.mapping == {
        "Respondent ID": "respondent_id",
        "Submitted": "submitted_at",
        "Language": "language",
        "How likely are you to recommend us?": "Q1",
        "Q2": "Q2",
        "Which office?": "Q3",
        "Q4": "Q4",
        "Anything else?": "Q5",
        "Q6.expectation": "Q6.expectation",
        "Q6.perception": "Q6.perception",
        "Q7.A1.importance": "Q7.A1.importance",
        "Q7.A1.performance": "Q7.A1.performance",
        "Q7.A2.importance": "Q7.A2.importance",
        "Q7.A2.performance": "Q7.A2.performance",
    }


def test_grid_headers_in_another_tools_style_are_matched() -> None:
    targets = {
        "Q7.A1.importance": imports.Target("Q7.A1.importance", "", _fake_question(), _fake_attribute(), "importance"),
        "Q7.A1.performance": imports.Target(
            "Q7.A1.performance", "", _fake_question(), _fake_attribute(), "performance"
        ),
    }
    got = imports.propose_mapping(["Rate us [On time] - Importance", "Rate us [On time] - Performance"], targets)
    assert got == {
        "Rate us [On time] - Importance": "Q7.A1.importance",
        "Rate us [On time] - Performance": "Q7.A1.performance",
    }


def _fake_question() -> Any:
    return _FakeQ(K.IPA_GRID, "Rate us")


def _fake_attribute() -> Any:
    return _FakeA("On time")


class _FakeQ:
    """Only the fields propose_mapping reads (a target's question), without a database."""

    def __init__(self, kind: str, text: str) -> None:
        self.kind, self.texts, self.position, self.pk = kind, {"en": text}, 7, 7


class _FakeA:
    def __init__(self, text: str) -> None:
        self.texts = {"en": text}


def test_csv_import_saves_every_answer_as_record_response_would(world: World, tmp_path: Path) -> None:
    s, qs = _survey(world)
    job = _run(_start(world, s, _csv(tmp_path / "a.csv", [_row(n) for n in range(1, 13)])))
    assert (job.status, job.error_count, job.rows_done, job.responses_created) == (S.DONE, 0, 12, 12)
    assert _counts(s)[0] == 12 and _counts(s)[2] == 12
    r3 = ImportedRespondent.objects.get(survey=s, external_id="R3").response
    assert r3.submitted_at is not None
    assert (r3.channel, r3.language, r3.submitted_at.isoformat()[:10]) == ("import", "en", "2026-03-01")
    rows = {
        (a.question_id, a.attribute_id): a for a in Answer.objects.filter(response=r3).exclude(question=qs["topics"])
    }
    assert rows[(qs["nps"].pk, None)].value == 3
    assert rows[(qs["office"].pk, None)].value == 2  # "South" given by its label
    topics = Answer.objects.filter(response=r3, question=qs["topics"]).values_list("value", flat=True)
    assert sorted(v or 0 for v in topics) == [1, 3]
    assert (rows[(qs["pair"].pk, None)].expectation, rows[(qs["pair"].pk, None)].perception) == (6, 4)
    on_time, _friendly = builders.attributes(qs["grid"])
    assert (rows[(qs["grid"].pk, on_time.pk)].importance, rows[(qs["grid"].pk, on_time.pk)].performance) == (7, 4)
    assert (qs["text"].pk, None) not in rows
    r4 = ImportedRespondent.objects.get(survey=s, external_id="R4").response
    assert Answer.objects.get(response=r4, question=qs["text"]).text == "comment 4"


def test_xlsx_import(world: World, tmp_path: Path) -> None:
    s, qs = _survey(world)
    job = _run(_start(world, s, _xlsx(tmp_path / "a.xlsx", [_row(n) for n in range(1, 8)])))
    assert (job.status, job.error_count, job.responses_created) == (S.DONE, 0, 7)
    r5 = ImportedRespondent.objects.get(survey=s, external_id="R5").response
    assert Answer.objects.get(response=r5, question=qs["nps"]).value == 5
    assert Answer.objects.get(response=r5, question=qs["office"]).value == 2


def test_xlsx_bad_value_names_the_sheet_row_and_column(world: World, tmp_path: Path) -> None:
    s, _qs = _survey(world)
    rows = [_row(n) for n in range(1, 6)]
    rows[2] = _row(3, Q2=9)  # sheet row 4
    job = _run(_start(world, s, _xlsx(tmp_path / "a.xlsx", rows)))
    assert job.status == S.INVALID
    assert [(e["row"], e["column"]) for e in job.errors] == [(4, "Q2")]
    assert _counts(s) == (0, 0, 0)


def test_bad_values_are_reported_by_row_and_column_and_nothing_is_saved(world: World, tmp_path: Path) -> None:
    s, _qs = _survey(world)
    before = _counts(s)
    rows = [_row(n) for n in range(1, 21)]
    rows[3] = _row(4, Q2=6)  # row 5: outside 1-5
    rows[9] = _row(10, **{"Which office?": "West"})  # row 11: not an option
    rows[12] = _row(13, **{"Q6.perception": ""})  # row 14: half a SERVQUAL pair
    rows[15] = _row(16, **{"How likely are you to recommend us?": ""})  # row 17: a required question left out
    rows[17] = _row(18, Language="fr")  # row 19
    job = _run(_start(world, s, _csv(tmp_path / "bad.csv", rows)), size=4)
    assert job.status == S.INVALID
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (5, "Q2"),
        (11, "Which office?"),
        (14, "Q6.perception"),
        (17, "How likely are you to recommend us?"),
        (19, "Language"),
    ]
    assert "outside its scale 1-5" in job.errors[0]["message"]
    assert "not one of its options" in job.errors[1]["message"]
    assert "perception must be a whole number" in job.errors[2]["message"]
    assert "needs an answer" in job.errors[3]["message"]
    assert job.error_count == 5 and job.rows_done == 0
    assert _counts(s) == before


def test_batch_mode_keeps_earlier_batches_and_stops_at_the_bad_one(world: World, tmp_path: Path) -> None:
    s, _qs = _survey(world)
    rows = [_row(n) for n in range(1, 11)]
    rows[5] = _row(6, Q2="x")  # row 7, in the second batch of four
    job = _run(_start(world, s, _csv(tmp_path / "bad.csv", rows), mode=ImportJob.Mode.BATCHES), size=4)
    assert job.status == S.INVALID
    assert [(e["row"], e["column"]) for e in job.errors] == [(7, "Q2")]
    # the first batch (rows 2-5) is saved whole, nothing of the bad batch
    assert _counts(s)[0] == 4 and job.rows_done == 4


def test_missing_mapped_column_is_named(world: World, tmp_path: Path) -> None:
    s, _qs = _survey(world)
    job = _start(world, s, _csv(tmp_path / "a.csv", [_row(1)]))
    job.mapping = {**job.mapping, "Q2 (old name)": "Q2"}
    del job.mapping["Q2"]
    job.save()
    job = _run(job)
    assert job.status == S.INVALID
    assert job.errors == [
        {
            "row": 1,
            "column": "Q2 (old name)",
            "message": "The column Q2 (old name) is mapped but the file has no such column.",
        }
    ]
    assert _counts(s) == (0, 0, 0)


def test_mapping_form_rules(world: World, tmp_path: Path) -> None:
    s, _qs = _survey(world)
    job = _start(world, s, _csv(tmp_path / "a.csv", [_row(1)]))
    with pytest.raises(ValidationFailed, match="both mapped to Q2"):
        imports.set_mapping(acting_user=world.admin.user, job=job, mapping={**job.mapping, "Unrelated column": "Q2"})
    half = {c: t for c, t in job.mapping.items() if t != "Q6.perception"}
    with pytest.raises(ValidationFailed, match=r"map a column to Q6\.perception too"):
        imports.set_mapping(acting_user=world.admin.user, job=job, mapping=half)
    without_nps = {c: t for c, t in job.mapping.items() if t != "Q1"}
    with pytest.raises(ValidationFailed, match="Question 1 needs an answer"):
        imports.set_mapping(acting_user=world.admin.user, job=job, mapping=without_nps)
    with pytest.raises(PermissionDenied):
        imports.set_mapping(acting_user=world.agent.user, job=job, mapping=job.mapping)


def test_wrong_encoding_names_the_row(world: World, tmp_path: Path) -> None:
    s, _qs = _survey(world)
    path = _csv(tmp_path / "latin.csv", [_row(n) for n in range(1, 6)])
    text = path.read_bytes().replace(b"comment 4", "commentaire déjà".encode("latin-1"))
    path.write_bytes(text)
    job = _run(_start(world, s, path))
    assert job.status == S.INVALID
    assert len(job.errors) == 1 and job.errors[0]["row"] == 5
    assert "Row 5 is not UTF-8 text (byte 0xE9)" in job.errors[0]["message"]
    assert _counts(s) == (0, 0, 0)


def test_utf8_with_bom_and_semicolons(world: World, tmp_path: Path) -> None:
    s, qs = _survey(world)
    path = tmp_path / "bom.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(HEADER)
        writer.writerow(_row(4, **{"Anything else?": "très bien, merci"}))
    job = _start(world, s, path)
    assert job.columns[0] == "Respondent ID"  # no BOM left on the first name
    job = _run(job)
    assert job.status == S.DONE
    assert Answer.objects.get(question=qs["text"]).text == "très bien, merci"


def test_duplicate_respondents_in_the_file_and_already_imported(world: World, tmp_path: Path) -> None:
    s, _qs = _survey(world)
    _run(_start(world, s, _csv(tmp_path / "first.csv", [_row(1), _row(2)])))
    before = _counts(s)
    rows = [_row(3), _row(4), _row(3), _row(2), _row(5)]
    job = _run(_start(world, s, _csv(tmp_path / "second.csv", rows)), size=2)
    assert job.status == S.INVALID
    assert [(e["row"], e["column"]) for e in job.errors] == [(4, "Respondent ID"), (5, "Respondent ID")]
    assert "already in row 2 of this file" in job.errors[0]["message"]
    assert "already been imported into this survey" in job.errors[1]["message"]
    assert _counts(s) == before


def test_an_interrupted_import_resumes_after_its_last_batch(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s, _qs = _survey(world)
    job = _start(world, s, _csv(tmp_path / "a.csv", [_row(n) for n in range(1, 11)]))
    real = imports.write_batch
    calls = {"n": 0}

    def failing(job: ImportJob, batch: imports.Batch) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("the database went away")
        real(job, batch)

    monkeypatch.setattr(imports, "write_batch", failing)
    job = _run(job, size=4)
    assert job.status == S.FAILED and job.rows_done == 4 and "after 4 rows" in job.errors[-1]["message"]
    assert _counts(s)[0] == 4
    monkeypatch.setattr(imports, "write_batch", real)
    job.refresh_from_db()
    job = _run(job, size=4)  # resumed
    assert (job.status, job.rows_done, job.responses_created) == (S.DONE, 10, 10)
    assert _counts(s)[0] == 10
    ids = sorted(ImportedRespondent.objects.filter(survey=s).values_list("external_id", flat=True))
    assert ids == sorted(f"R{n}" for n in range(1, 11))


def test_a_running_import_is_not_taken_twice(world: World, tmp_path: Path) -> None:
    s, _qs = _survey(world)
    job = _start(world, s, _csv(tmp_path / "a.csv", [_row(1)]))
    imports.queue(job)
    assert imports.claim(job.pk) is not None
    assert imports.claim(job.pk) is None  # running, heartbeat fresh
    job.refresh_from_db()
    with pytest.raises(ValidationFailed):
        imports.queue(job)


def test_large_csv_import(world: World, tmp_path: Path) -> None:
    a = world.admin
    s = builders.survey(a)
    nps = builders.question(a, s, K.NPS, "Recommend?")
    csat = builders.question(a, s, K.CSAT, "Satisfied?")
    builders.question(a, s, K.TEXT, "Why?", required=False)
    builders.open_survey(a, s)
    path = tmp_path / "big.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "Recommend?", "Satisfied?", "Why?"])
        for n in range(int(__import__("os").environ.get("BIG_ROWS", 50_000))):
            writer.writerow([f"r{n}", n % 11, 1 + n % 5, "fine" if n % 10 == 0 else ""])
    started = time.monotonic()
    job = _run(_start(world, s, path))
    elapsed = time.monotonic() - started
    assert (job.status, job.responses_created, job.rows_done, job.rows_total) == (S.DONE, 50_000, 50_000, 50_000)
    assert Answer.objects.filter(question=nps).count() == 50_000
    assert Answer.objects.filter(question=csat, value=3).count() == 10_000
    assert Answer.objects.filter(response__survey=s).count() == 105_000
    assert elapsed < 60, elapsed


# The command ----------------------------------------------------------------------------------------------


def test_command_imports_and_resumes(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s, _qs = _survey(world)
    path = _csv(tmp_path / "a.csv", [_row(n) for n in range(1, 8)])
    probe = _start(world, s, path)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(probe.mapping))
    real = imports.write_batch
    calls = {"n": 0}

    def failing(job: ImportJob, batch: imports.Batch) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("the database went away")
        real(job, batch)

    monkeypatch.setattr(imports, "write_batch", failing)
    out, err = io.StringIO(), io.StringIO()
    args = ["import_survey_responses", str(s.pk), str(path), "--mapping", str(mapping), "--batch-size", "3"]
    with pytest.raises(SystemExit):
        call_command(*args, stdout=out, stderr=err)
    job = ImportJob.objects.exclude(pk=probe.pk).get()
    assert f"interrupted: resume with --resume {job.pk}" in err.getvalue()
    assert "imported 3/7 rows (3 responses)" in out.getvalue()
    assert _counts(s)[0] == 3
    monkeypatch.setattr(imports, "write_batch", real)
    out = io.StringIO()
    call_command(*args, "--resume", str(job.pk), stdout=out)
    assert "resuming job" in out.getvalue() and "7 responses imported from 7 rows" in out.getvalue()
    assert _counts(s)[0] == 7 and _counts(s)[2] == 7


def test_command_exits_1_with_the_errors(world: World, tmp_path: Path) -> None:
    s, _qs = _survey(world)
    path = _csv(tmp_path / "a.csv", [_row(1), _row(2, Q2=0)])
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(_start(world, s, path).mapping))
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_survey_responses", str(s.pk), str(path), "--mapping", str(mapping), stderr=err)
    assert exit_.value.code == 1
    assert "row 3, column Q2:" in err.getvalue()
    assert _counts(s)[0] == 0


# The pages ------------------------------------------------------------------------------------------------


def test_upload_mapping_check_and_run_pages(world: World, client_for: Any, tmp_path: Path, run_tasks: Any) -> None:
    s, _qs = _survey(world)
    client = client_for("admin")
    data = _csv(tmp_path / "a.csv", [_row(n) for n in range(1, 6)]).read_bytes()
    page = client.get(reverse("survey-import", kwargs={"pk": s.pk}))
    assert page.status_code == 200
    upload = client.post(
        reverse("survey-import", kwargs={"pk": s.pk}),
        {"file": SimpleUploadedFile("export.csv", data, content_type="text/csv"), "mode": "check_first"},
    )
    job = ImportJob.objects.get(survey=s)
    assert upload.status_code == 302 and upload["Location"] == reverse(
        "survey-import-mapping", kwargs={"pk": s.pk, "job_pk": job.pk}
    )
    form = client.get(upload["Location"])
    assert form.status_code == 200
    assert 'value="Q6.perception" selected' in form.content.decode()
    fields = {f"col_{i}": job.mapping.get(c, "") for i, c in enumerate(job.columns)}
    check = client.post(upload["Location"], {**fields, "mode": "check_first", "action": "check"})
    assert check.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.check_only) == (S.QUEUED, True)
    run_tasks()
    job.refresh_from_db()
    assert job.status == S.CHECKED and _counts(s)[0] == 0
    status_url = reverse("survey-import-job", kwargs={"pk": s.pk, "job_pk": job.pk})
    assert "5 rows checked" in client.get(status_url).content.decode()
    started = client.post(reverse("survey-import-run", kwargs={"pk": s.pk, "job_pk": job.pk}))
    assert started.status_code == 302
    polled = client.get(status_url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in polled.content.decode()
    run_tasks()
    job.refresh_from_db()
    assert job.status == S.DONE and _counts(s)[0] == 5
    done = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "every 1s" not in done


def test_survey_page_links_to_import_and_export_for_designers(world: World, client_for: Any) -> None:
    s, _qs = _survey(world)
    url = reverse("survey-detail", kwargs={"pk": s.pk})
    page = client_for("manager").get(url).content.decode()
    assert reverse("survey-import", kwargs={"pk": s.pk}) in page
    assert reverse("survey-export", kwargs={"pk": s.pk, "fmt": "xlsx"}) in page
    assert reverse("survey-import", kwargs={"pk": s.pk}) not in client_for("agent").get(url).content.decode()


def test_upload_rejects_other_files(world: World, client_for: Any) -> None:
    s, _qs = _survey(world)
    page = client_for("admin").post(
        reverse("survey-import", kwargs={"pk": s.pk}),
        {"file": SimpleUploadedFile("notes.pdf", b"%PDF", content_type="application/pdf"), "mode": "check_first"},
    )
    assert page.status_code == 200 and "Upload a .csv or .xlsx file." in page.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("role,status", [("admin", 200), ("manager", 200), ("agent", 403), ("outsider", 404)])
def test_import_pages_permissions(world: World, client_for: Any, tmp_path: Path, role: str, status: int) -> None:
    s, _qs = _survey(world)
    job = _start(world, s, _csv(tmp_path / "a.csv", [_row(1)]))
    client = client_for(role)
    for url in (
        reverse("survey-import", kwargs={"pk": s.pk}),
        reverse("survey-import-list", kwargs={"pk": s.pk}),
        reverse("survey-import-mapping", kwargs={"pk": s.pk, "job_pk": job.pk}),
        reverse("survey-import-job", kwargs={"pk": s.pk, "job_pk": job.pk}),
    ):
        assert client.get(url).status_code == status, url


LIST_QUERIES = 10
JOB_QUERIES = 9


def test_import_list_and_status_pages_query_counts(
    world: World, client_for: Any, tmp_path: Path, django_assert_num_queries: Any
) -> None:
    s, _qs = _survey(world)
    client = client_for("admin")
    job = _run(_start(world, s, _csv(tmp_path / "bad.csv", [_row(1, Q2=9), _row(2, Q2=9)])))
    list_url = reverse("survey-import-list", kwargs={"pk": s.pk})
    job_url = reverse("survey-import-job", kwargs={"pk": s.pk, "job_pk": job.pk})
    client.get(list_url)  # the session's first request
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(list_url).status_code == 200
    with django_assert_num_queries(JOB_QUERIES):
        page = client.get(job_url)
    assert page.content.decode().count("is outside its scale 1-5") == 2
    for n in range(3, 8):
        _run(_start(world, s, _csv(tmp_path / f"more{n}.csv", [_row(n, Q2=9)] * 3)))
    with django_assert_num_queries(LIST_QUERIES):  # the same with six imports
        page = client.get(list_url)
    assert page.content.decode().count("more") == 5


def test_error_report_is_in_the_uploaders_language(
    world: World, client_for: Any, tmp_path: Path, run_tasks: Any, settings: Any
) -> None:
    """The worker has no language of its own: the report is written in the language active at the upload."""
    from django.utils import translation

    s, _qs = _survey(world)
    client = client_for("admin")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    data = _csv(tmp_path / "a.csv", [_row(1), _row(2, Q2=9)]).read_bytes()
    upload = client.post(
        reverse("survey-import", kwargs={"pk": s.pk}),
        {"file": SimpleUploadedFile("export.csv", data, content_type="text/csv"), "mode": "check_first"},
    )
    job = ImportJob.objects.get(survey=s)
    assert job.language == "es"
    fields = {f"col_{i}": job.mapping.get(c, "") for i, c in enumerate(job.columns)}
    assert client.post(upload["Location"], {**fields, "mode": "check_first", "action": "check"}).status_code == 302
    with translation.override("en"):  # as in the worker, whatever the last request of this thread left active
        run_tasks()
    job.refresh_from_db()
    assert job.status == S.INVALID
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "Q2")]
    message = job.errors[0]["message"]
    assert message == "Pregunta 2 («How satisfied are you?»): 9 está fuera de su escala 1-5."
    page = client.get(reverse("survey-import-job", kwargs={"pk": s.pk, "job_pk": job.pk})).content.decode()
    assert "9 está fuera de su escala 1-5." in page


def test_command_reports_in_english_or_the_language_given(world: World, tmp_path: Path) -> None:
    s, _qs = _survey(world)
    path = _csv(tmp_path / "a.csv", [_row(1), _row(2, Q2=0)])
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(_start(world, s, path).mapping))
    for language, expected in (None, "is outside its scale 1-5."), ("es", "está fuera de su escala 1-5."):
        err = io.StringIO()
        extra = ["--language", language] if language else []
        with pytest.raises(SystemExit):
            call_command("import_survey_responses", str(s.pk), str(path), "--mapping", str(mapping), *extra, stderr=err)
        assert "row 3, column Q2:" in err.getvalue()
        assert expected in err.getvalue()


def test_a_row_reports_every_bad_cell(world: World, tmp_path: Path) -> None:
    s, _qs = _survey(world)
    header = [*HEADER, "Email"]
    rows = [[*_row(n), f"c{n}@example.com"] for n in range(1, 4)]
    rows[1] = [*_row(2, Q2=9, Language="fr", **{"Which office?": "West"}), "not-an-email"]  # row 3
    rows[2] = [*_row(3, **{"Q7.A2.performance": 0}), "c3@example.com"]  # row 4: one bad cell
    job = _start(world, s, _csv(tmp_path / "a.csv", rows, header=header))
    imports.set_mapping(acting_user=world.admin.user, job=job, mapping={**job.mapping, "Email": "customer_email"})
    job = _run(job)
    assert job.status == S.INVALID
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (3, "Language"),
        (3, "Email"),
        (3, "Q2"),
        (3, "Which office?"),
        (4, "Q7.A2.performance"),
    ]
    assert "not an email address" in job.errors[1]["message"]
    assert "9 is outside its scale 1-5" in job.errors[2]["message"]
    assert job.error_count == 5


def test_the_report_keeps_the_first_errors_and_counts_them_all(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "MAX_ERRORS", 3)
    s, _qs = _survey(world)
    rows = [_row(n, Q2=9, **{"Which office?": "West"}) for n in range(1, 4)]  # two bad cells in each row
    job = _run(_start(world, s, _csv(tmp_path / "a.csv", rows)))
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "Q2"), (2, "Which office?"), (3, "Q2")]
    assert job.error_count == 6


def test_a_time_without_a_zone_is_on_the_organizations_clock(world: World, tmp_path: Path) -> None:
    world.org.time_zone = "Asia/Kuala_Lumpur"
    world.org.save(update_fields=["time_zone"])
    s, _qs = _survey(world)
    rows = [_row(1, Submitted="2026-03-31 14:05"), _row(2, Submitted="2026-03-31T14:05:00+00:00")]
    job = _run(_start(world, s, _csv(tmp_path / "zones.csv", rows)))
    assert job.status == S.DONE
    times = {r.external_id: r.response.submitted_at for r in ImportedRespondent.objects.filter(survey=s)}
    assert times["R1"] == dt.datetime(2026, 3, 31, 6, 5, tzinfo=dt.UTC)  # 14:05 in Kuala Lumpur
    assert times["R2"] == dt.datetime(2026, 3, 31, 14, 5, tzinfo=dt.UTC)  # a written offset wins
