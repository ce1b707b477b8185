"""A survey's responses as CSV, XLSX or JSON: one row per response, one column per question (one per attribute
and part for grids and SERVQUAL pairs), written as a stream in constant memory.

Responses are read through a server-side cursor (``.iterator``) and their answers fetched a chunk of responses
at a time, so memory does not grow with the survey. The column headers are the import's target codes with the
question text ("Q3: How satisfied ...", "Q7.A2.importance: ..."), so an exported file maps itself when imported.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import IO, Any

from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from servicecycle.core import audit
from servicecycle.surveys.actions.design import K
from servicecycle.surveys.imports import survey_structure, targets_of
from servicecycle.surveys.models import Answer, Response, Survey

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
CHUNK = 1000  # responses whose answers are fetched at once
META = ("response_id", "respondent_id", "submitted_at", "language", "channel", "wave", "customer_email")
_PARTS = ("value", "importance", "performance", "competitor_performance", "expectation", "perception", "text")


@dataclass(frozen=True)
class Column:
    key: str
    label: str


class Layout:
    """The survey's columns and where each answer row's values go."""

    def __init__(self, survey: Survey) -> None:
        questions, attributes = survey_structure(survey)
        targets = {code: t for code, t in targets_of(survey, questions, attributes).items() if t.question is not None}
        self.columns = [Column(name, name) for name in META] + [Column(code, t.label) for code, t in targets.items()]
        self.index: dict[tuple[int, int | None, str], int] = {}
        for i, (_code, t) in enumerate(targets.items(), start=len(META)):
            part = "value" if t.part == "choices" else t.part
            self.index[(t.question.pk, t.attribute.pk if t.attribute else None, part)] = i  # type: ignore[union-attr]
        self.multiple = {q.pk for q in questions if q.kind == K.MULTIPLE_CHOICE}


def rows(survey: Survey, layout: Layout) -> Iterator[list[Any]]:
    """Every response of the survey as one list of cells, in the layout's column order, oldest first."""
    responses = (
        Response.objects.filter(survey=survey)
        .order_by("pk")
        .values_list(
            "pk", "imported_as__external_id", "submitted_at", "language", "channel", "wave__name", "customer__email"
        )
        .iterator(chunk_size=2000)
    )
    width = len(layout.columns)
    while True:
        chunk = list(islice(responses, CHUNK))
        if not chunk:
            return
        cells: dict[int, list[Any]] = {}
        for pk, external_id, submitted, language, channel, wave, email in chunk:
            row: list[Any] = [None] * width
            row[: len(META)] = [
                pk,
                external_id or "",
                submitted.isoformat() if submitted else "",
                language,
                channel,
                wave or "",
                email or "",
            ]
            cells[pk] = row
        answers = (
            Answer.objects.filter(response_id__in=list(cells))
            .order_by("response_id", "question_id", "attribute_id", "value")
            .values_list("response_id", "question_id", "attribute_id", *_PARTS)
        )
        for response_id, question_id, attribute_id, *values in answers:
            row = cells[response_id]
            if question_id in layout.multiple:
                at = layout.index.get((question_id, None, "value"))
                if at is not None:
                    row[at] = f"{row[at]};{values[0]}" if row[at] is not None else str(values[0])
                continue
            for part, value in zip(_PARTS, values, strict=True):
                if value is not None:
                    at = layout.index.get((question_id, attribute_id, part))
                    if at is not None:
                        row[at] = value
        yield from cells.values()


def csv_chunks(survey: Survey) -> Iterator[bytes]:
    layout = Layout(survey)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # a BOM, so spreadsheet programs read the file as UTF-8
    writer.writerow([c.label for c in layout.columns])
    for n, row in enumerate(rows(survey, layout), start=1):
        writer.writerow(["" if v is None else v for v in row])
        if n % CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def json_chunks(survey: Survey) -> Iterator[bytes]:
    layout = Layout(survey)
    head = {"survey": survey.pk, "columns": [{"key": c.key, "label": c.label} for c in layout.columns]}
    yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "responses": [\n').encode()
    keys = [c.key for c in layout.columns]
    parts: list[str] = []
    first = True
    for row in rows(survey, layout):
        text = json.dumps({k: v for k, v in zip(keys, row, strict=True) if v not in (None, "")}, ensure_ascii=False)
        parts.append(text if first else ",\n" + text)
        first = False
        if len(parts) >= CHUNK:
            yield "".join(parts).encode()
            parts = []
    parts.append("\n]}\n")
    yield "".join(parts).encode()


def write_xlsx(survey: Survey, path: str) -> None:
    """The workbook written row by row (xlsxwriter's constant_memory mode keeps one row in memory)."""
    import xlsxwriter

    layout = Layout(survey)
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet("responses")
    sheet.write_row(0, 0, [c.label for c in layout.columns])
    for r, row in enumerate(rows(survey, layout), start=1):
        for c, value in enumerate(row):
            if value is not None and value != "":
                sheet.write(r, c, value)
    book.close()


def write(survey: Survey, fmt: str, out: IO[bytes]) -> None:
    """The export written to an open binary file (the command line)."""
    if fmt == "xlsx":
        handle, path = tempfile.mkstemp(suffix=".xlsx")
        os.close(handle)
        try:
            write_xlsx(survey, path)
            with open(path, "rb") as f:
                while block := f.read(1 << 16):
                    out.write(block)
        finally:
            os.unlink(path)
        return
    for chunk in csv_chunks(survey) if fmt == "csv" else json_chunks(survey):
        out.write(chunk)


def http_response(survey: Survey, fmt: str, *, acting_user: Any = None) -> HttpResponseBase:
    filename = f"survey-{survey.pk}-responses.{fmt}"
    audit.record(
        actor=acting_user,
        organization_id=survey.organization_id,
        verb="responses_exported",
        obj=survey,
        changes={"format": fmt},
    )
    if fmt == "xlsx":
        handle, path = tempfile.mkstemp(suffix=".xlsx")
        os.close(handle)
        try:
            write_xlsx(survey, path)
            stream = open(path, "rb")  # noqa: SIM115 (FileResponse closes it)
        finally:
            os.unlink(path)  # the open handle keeps the data until the response is sent
        return FileResponse(stream, as_attachment=True, filename=filename, content_type=FORMATS[fmt])
    chunks = csv_chunks(survey) if fmt == "csv" else json_chunks(survey)
    response = StreamingHttpResponse(chunks, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
