"""Importing responses from CSV and XLSX files made by other survey tools.

A file's columns are mapped to *targets*: a question ("Q3"), a part of one ("Q4.expectation"), a grid
attribute ("Q5.A2.importance", "Q6.A1" for an allocation), or a respondent field ("respondent_id",
"submitted_at", "language", "channel", "customer_email"); unmapped columns are ignored. ``propose_mapping``
guesses the mapping from the header.

Every row becomes the answer entries ``record_response`` takes and goes through the same ``AnswerChecker``,
so an imported response follows exactly the rules of one answered on the web. Rows are read as a stream and
saved in batches of ``BATCH_SIZE`` responses, each batch in one transaction (COPY on PostgreSQL, bulk_create
elsewhere) together with the job's count of committed rows: an interrupted import continues after its last
committed batch and never loads a response twice. In the default "check first" mode the whole file is checked
before the first batch is written, so a file with any error saves nothing.

Errors name the file's own row (the header is row 1) and the column. They are written in the language of the
person who uploaded the file (kept on the job): the background worker runs with no language of its own.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import itertools
import logging
import pickle
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Customer, Organization
from servicecycle.accounts.permissions import require
from servicecycle.core import audit
from servicecycle.core.errors import NotFound, ValidationFailed
from servicecycle.core.validation import fail
from servicecycle.surveys import figures
from servicecycle.surveys.actions.design import ATTRIBUTE_KINDS, CHOICE_KINDS, K, _whole
from servicecycle.surveys.actions.responses import ANSWER_COLUMNS, AnswerChecker, AnswerRow, Incomplete
from servicecycle.surveys.models import (
    Answer,
    Attribute,
    ImportedRespondent,
    ImportJob,
    Question,
    Response,
    Survey,
    text_in,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 5000
MAX_ERRORS = 500  # errors kept on the job (all are counted)
MAX_EXTERNAL_ID = 120
STALE_AFTER = dt.timedelta(minutes=2)  # a running import silent this long is taken for dead and may be resumed
Status = ImportJob.Status

RESPONDENT_FIELDS = ("respondent_id", "submitted_at", "language", "channel", "customer_email")
# header names other tools give the respondent fields (compared after normalizing, see _norm)
_FIELD_ALIASES = {
    "respondent_id": {
        "respondent id",
        "respondentid",
        "respondent",
        "response id",
        "responseid",
        "external id",
        "id",
        "record id",
    },
    "submitted_at": {
        "submitted at",
        "submitted",
        "submitted on",
        "submit date",
        "submission date",
        "timestamp",
        "end date",
        "date submitted",
        "completed",
        "completed at",
        "recorded date",
    },
    "language": {"language", "lang", "user language", "locale"},
    "channel": {"channel", "distribution channel"},
    "customer_email": {"customer email", "email", "e mail", "email address", "recipient email", "respondent email"},
}
_PART_WORDS = {
    "importance": ("importance", "important"),
    "performance": ("performance", "perform"),
    "competitor_performance": ("competitor",),
    "expectation": ("expectation", "expect"),
    "perception": ("perception", "perceive"),
}
_CODE = re.compile(
    r"^q(?P<q>\d+)(?:\.a(?P<a>\d+))?(?:\.(?P<part>importance|performance|competitor_performance|expectation|perception))?$",
    re.IGNORECASE,
)
_FIELD_PATH = re.compile(r"^answers\[(?P<i>\d+)\](?:\.(?P<key>\w+))?$")


class FileUnreadable(Exception):
    """The file cannot be read at all (encoding, no header, unknown format); names the row when it can."""

    def __init__(self, message: str, *, row: int | None = None, column: str = "") -> None:
        super().__init__(message)
        self.message, self.row, self.column = message, row, column


@dataclass(frozen=True)
class Target:
    code: str
    label: str
    question: Question | None = None
    attribute: Attribute | None = None
    part: str = ""  # the answer entry's key ("value", "choices", "text", "importance", ...) or the field's name


@dataclass
class FileError:
    row: int | None
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


# Targets ------------------------------------------------------------------------------------------------


def survey_structure(survey: Survey) -> tuple[list[Question], dict[int, Attribute]]:
    questions = list(survey.questions.order_by("position"))
    attributes = {
        a.pk: a for a in Attribute.objects.filter(question__survey=survey).order_by("question_id", "position")
    }
    return questions, attributes


def targets_of(survey: Survey, questions: list[Question], attributes: dict[int, Attribute]) -> dict[str, Target]:
    """Every target a column may map to, by code, in the order a mapping form lists them."""
    lang = survey.default_language
    labels = {
        "respondent_id": _("Respondent id (from the other tool)"),
        "submitted_at": _("Submitted at"),
        "language": _("Language"),
        "channel": _("Channel"),
        "customer_email": _("Customer email"),
    }
    targets = {name: Target(name, labels[name], part=name) for name in RESPONDENT_FIELDS}
    by_question: dict[int, list[Attribute]] = {}
    for attribute in attributes.values():
        by_question.setdefault(attribute.question_id, []).append(attribute)
    part_labels = {
        "importance": _("importance"),
        "performance": _("performance"),
        "competitor_performance": _("competitor's performance"),
        "expectation": _("expectation"),
        "perception": _("perception"),
    }
    for q in questions:
        text = text_in(q.texts, lang)
        head = f"Q{q.position}"
        if q.kind == K.SERVQUAL_PAIR:
            for part in ("expectation", "perception"):
                code = f"{head}.{part}"
                targets[code] = Target(code, f"{code}: {text} ({part_labels[part]})", q, None, part)
        elif q.kind in ATTRIBUTE_KINDS:
            for attribute in sorted(by_question.get(q.pk, []), key=lambda a: a.position):
                where = f"{head}.A{attribute.position}"
                name = text_in(attribute.texts, lang)
                if q.kind == K.ALLOCATION:
                    targets[where] = Target(where, f"{where}: {text}: {name}", q, attribute, "value")
                    continue
                parts = ["importance", "performance"] + (["competitor_performance"] if q.competitor_name else [])
                for part in parts:
                    code = f"{where}.{part}"
                    targets[code] = Target(code, f"{code}: {text}: {name} ({part_labels[part]})", q, attribute, part)
        else:
            part = "choices" if q.kind == K.MULTIPLE_CHOICE else "text" if q.kind == K.TEXT else "value"
            targets[head] = Target(head, f"{head}: {text}", q, None, part)
    return targets


def _norm(text: Any) -> str:
    """Lower case, punctuation and runs of spaces made single spaces: how headers are compared."""
    return " ".join(re.sub(r"[\W_]+", " ", str(text or "").casefold()).split())


def propose_mapping(columns: Sequence[str], targets: Mapping[str, Target]) -> dict[str, str]:
    """A mapping guessed from the header: target codes, respondent field names, question texts, positions."""
    proposal: dict[str, str] = {}
    taken: set[str] = set()
    by_text: dict[str, str] = {}
    by_position: dict[str, str] = {}
    for code, target in targets.items():
        q = target.question
        if q is None or "." in code:
            continue
        for text in q.texts.values():
            by_text.setdefault(_norm(text), code)
        by_position[str(q.position)] = code
        by_position[f"q{q.position}"] = code
        by_position[f"question {q.position}"] = code

    def guess(column: str) -> str | None:
        raw = str(column).strip()
        first = raw.split(maxsplit=1)[0] if raw else ""
        for candidate in (raw, first.rstrip(":")):
            match = _CODE.match(candidate)
            if match:
                code = _canonical(match)
                if code in targets:
                    return code
        norm = _norm(raw)
        if norm.replace(" ", "_") in RESPONDENT_FIELDS:
            return norm.replace(" ", "_")
        for name, aliases in _FIELD_ALIASES.items():
            if norm in aliases:
                return name
        if norm in by_position:
            return by_position[norm]
        if norm in by_text:
            return by_text[norm]
        # grids: "<question text> [<attribute>]" style headers naming the attribute (and for a grid the part)
        best: str | None = None
        for code, target in targets.items():
            if target.attribute is None or target.question is None:
                continue
            names = [_norm(t) for t in target.attribute.texts.values() if t]
            if not any(n and f" {n} " in f" {norm} " for n in names):
                continue
            if target.question.kind == K.IPA_GRID:
                words = _PART_WORDS[target.part]
                others = [w for part, ws in _PART_WORDS.items() if part != target.part for w in ws]
                if not any(w in norm for w in words) or any(w in norm for w in others if w not in words):
                    continue
            questions = [_norm(t) for t in target.question.texts.values() if t]
            if any(qt and qt in norm for qt in questions) or best is None:
                best = code
        return best

    for column in columns:
        guessed = guess(column)
        if guessed and guessed not in taken:
            proposal[str(column)] = guessed
            taken.add(guessed)
    return proposal


def _canonical(match: re.Match[str]) -> str:
    code = f"Q{int(match['q'])}"
    if match["a"]:
        code += f".A{int(match['a'])}"
    if match["part"]:
        code += f".{match['part'].lower()}"
    return code


def check_mapping(columns: Sequence[str], mapping: Mapping[str, str], targets: Mapping[str, Target]) -> dict[str, str]:
    """The mapping cleaned (ignored columns left out), or ValidationFailed naming the column at fault."""
    cleaned: dict[str, str] = {}
    used: dict[str, str] = {}
    for column, code in mapping.items():
        if not code:
            continue
        if code not in targets:
            raise ValidationFailed(
                {column: [_("Column %(c)s: %(t)s is not a part of this survey.") % {"c": column, "t": code}]}
            )
        if code in used:
            raise ValidationFailed(
                {
                    column: [
                        _("Columns %(a)s and %(b)s are both mapped to %(t)s.")
                        % {"a": used[code], "b": column, "t": code}
                    ]
                }
            )
        used[code] = column
        cleaned[str(column)] = code
    if not cleaned:
        raise ValidationFailed({"mapping": [_("Map at least one column to a question.")]})
    # the two halves of a SERVQUAL item or of a grid attribute come together
    for code in list(used):
        target = targets[code]
        pairs = {
            "expectation": "perception",
            "perception": "expectation",
            "importance": "performance",
            "performance": "importance",
        }
        if target.part in pairs:
            other = code.rsplit(".", 1)[0] + "." + pairs[target.part]
            if other not in used:
                raise ValidationFailed(
                    {
                        used[code]: [
                            _("Column %(c)s is mapped to %(t)s: map a column to %(o)s too.")
                            % {"c": used[code], "t": code, "o": other}
                        ]
                    }
                )
    mapped_questions = {targets[c].question.pk for c in used if targets[c].question is not None}  # type: ignore[union-attr]
    for target in targets.values():
        q = target.question
        if q is not None and q.required and not q.condition and q.pk not in mapped_questions:
            raise ValidationFailed(
                {
                    "mapping": [
                        _("Question %(n)d needs an answer in every response: map a column to it.") % {"n": q.position}
                    ]
                }
            )
    return cleaned


# Reading files ------------------------------------------------------------------------------------------


def _decoded_lines(raw: Iterable[bytes], first_row: list[int]) -> Iterator[str]:
    """The file's lines as text; a byte that is not UTF-8 stops the reading with the row it is on."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    for line in raw:
        try:
            yield decoder.decode(line)
        except UnicodeDecodeError as exc:
            raise FileUnreadable(
                _("Row %(row)d is not UTF-8 text (byte 0x%(byte)02X): save the file as CSV UTF-8 and upload it again.")
                % {"row": first_row[0], "byte": line[exc.start]},
                row=first_row[0],
            ) from None


def _byte_lines(raw: IO[bytes], size: int = 1 << 16) -> Iterator[bytes]:
    """The file's lines, ends kept, read in chunks (a storage's file may not be iterated from where it stands)."""
    pending = b""
    while chunk := raw.read(size):
        pending += chunk
        lines = pending.splitlines(keepends=True)
        # the last piece may be a line cut in two, or a CR whose LF is in the next chunk
        pending = lines.pop() if not lines[-1].endswith(b"\n") else b""
        yield from lines
    if pending:
        yield pending


def _csv_rows(raw: IO[bytes]) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    lines = _byte_lines(raw)
    first = next(lines, b"")
    head = first.decode("utf-8", errors="replace")
    delimiter = max((",", ";", "\t"), key=head.count)
    current = [1]  # the row being read, for the decoder's error: the csv reader asks for lines a record at a time
    reader = csv.reader(_decoded_lines(itertools.chain([first], lines), current), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise FileUnreadable(_("The file is empty: it needs a header row naming its columns.")) from None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        number = 1
        while True:
            number += 1
            current[0] = number
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileUnreadable(
                    _("Row %(row)d cannot be read as CSV: %(e)s") % {"row": number, "e": exc}, row=number
                ) from None
            yield number, cells

    return [h.strip() for h in header], rows()


def _xlsx_rows(data: bytes) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    import fastexcel

    try:
        sheet = fastexcel.read_excel(data).load_sheet(0, header_row=0)
        frame = sheet.to_polars()
    except Exception as exc:  # fastexcel raises its own error types for files that are not workbooks
        raise FileUnreadable(_("The file cannot be read as an XLSX workbook: %(e)s") % {"e": exc}) from None
    header = [str(c).strip() for c in frame.columns]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for index, values in enumerate(frame.iter_rows(), start=2):
            yield index, [_cell(v) for v in values]

    return header, rows()


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def open_rows(job: ImportJob) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The file's header and its data rows as (row number, cells), read from the job's stored file."""
    handle = job.file.open("rb")
    if job.file_format == ImportJob.Format.XLSX:
        with handle:
            data = handle.read()
        return _xlsx_rows(data)
    header, rows = _csv_rows(handle)

    def closing() -> Iterator[tuple[int, list[Any]]]:
        try:
            yield from rows
        finally:
            handle.close()

    return header, closing()


def read_header(job: ImportJob) -> list[str]:
    header, rows = open_rows(job)
    if hasattr(rows, "close"):
        rows.close()
    if not any(header):
        raise FileUnreadable(_("The first row of the file must name its columns."), row=1)
    return header


# Checking rows --------------------------------------------------------------------------------------------


@dataclass
class Prepared:
    """One row made ready to save."""

    row: int
    external_id: str
    submitted_at: dt.datetime
    language: str
    channel: str
    email: str
    answers: list[AnswerRow]


@dataclass
class Batch:
    prepared: list[Prepared] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    rows_read: int = 0  # data rows of the file this batch covers, blank and bad ones included


class RowReader:
    """Turns the file's rows into checked responses, for one job's survey and mapping."""

    def __init__(self, job: ImportJob, *, now: dt.datetime | None = None) -> None:
        self.job = job
        survey = job.survey
        self.survey = survey
        self.questions, self.attributes = survey_structure(survey)
        self.targets = targets_of(survey, self.questions, self.attributes)
        self.checker = AnswerChecker(self.questions, self.attributes, survey.default_language)
        self.now = now or timezone.now()
        # a time written without a zone is on the organization's clock, as its staff read and type times
        self.zone = Organization.objects.only("time_zone").get(pk=survey.organization_id).zone
        self.seen: dict[str, int] = {}  # respondent id -> first row
        self.choice_codes: dict[int, dict[str, int]] = {
            q.pk: {_norm(t): c["code"] for c in q.choices for t in c.get("texts", {}).values() if t}
            for q in self.questions
            if q.kind in CHOICE_KINDS
        }
        self.channels = {v: v for v in Response.Channel.values} | {
            _norm(label): value for value, label in Response.Channel.choices
        }

    def plan(self, header: list[str]) -> tuple[dict[str, int], list[tuple[Question, list[tuple[int, str, Target]]]]]:
        """Where each mapped column is, grouped by question; a mapped column missing from the file is an error."""
        where: dict[str, int] = {}
        for index, name in enumerate(header):
            where.setdefault(name, index)
        fields: dict[str, int] = {}
        groups: dict[int, list[tuple[int, str, Target]]] = {}
        order: list[Question] = []
        mapping = self.job.mapping
        ordered = sorted(mapping.items(), key=lambda item: where.get(item[0], -1))  # the file's column order
        for column, code in ordered:
            if column not in where:
                raise FileUnreadable(
                    _("The column %(c)s is mapped but the file has no such column.") % {"c": column},
                    row=1,
                    column=column,
                )
            if header.count(column) > 1:
                raise FileUnreadable(
                    _("The file has two columns named %(c)s: rename one.") % {"c": column}, row=1, column=column
                )
            target = self.targets.get(code)
            if target is None:
                raise FileUnreadable(
                    _("Column %(c)s: %(t)s is not a part of this survey.") % {"c": column, "t": code},
                    row=1,
                    column=column,
                )
            if target.question is None:
                fields[code] = where[column]
                continue
            if target.question.pk not in groups:
                order.append(target.question)
            groups.setdefault(target.question.pk, []).append((where[column], column, target))
        self.first_column = {qid: group[0][1] for qid, group in groups.items()}
        self.part_columns: dict[tuple[int, int | None], dict[str, str]] = {}
        for group in groups.values():
            for _index, column, target in group:
                key = (target.question.pk, target.attribute.pk if target.attribute else None)  # type: ignore[union-attr]
                self.part_columns.setdefault(key, {"question": column, "attribute": column})[target.part] = column
        return fields, [(q, groups[q.pk]) for q in sorted(order, key=lambda q: q.position)]

    def batches(
        self, header: list[str], rows: Iterator[tuple[int, list[Any]]], *, skip: int = 0, size: int = BATCH_SIZE
    ) -> Iterator[Batch]:
        fields, plan = self.plan(header)
        field_column = {code: header[i] for code, i in fields.items()}
        width = len(header)
        batch = Batch()
        read = 0
        for number, cells in rows:
            read += 1
            if read <= skip:
                continue
            batch.rows_read += 1
            if len(cells) < width:
                cells = list(cells) + [None] * (width - len(cells))
            if not any(c not in (None, "") for c in cells):
                continue  # a blank row
            try:
                prepared = self._row(number, cells, fields, field_column, plan)
            except _RowError as exc:
                batch.errors.extend(FileError(number, column, message) for column, message in exc.cells)
            else:
                batch.prepared.append(prepared)
            if len(batch.prepared) + len(batch.errors) >= size:
                self._check_known(batch, field_column.get("respondent_id", ""))
                yield batch
                batch = Batch()
        if batch.rows_read:
            self._check_known(batch, field_column.get("respondent_id", ""))
            yield batch

    def _row(
        self,
        number: int,
        cells: list[Any],
        fields: dict[str, int],
        field_column: dict[str, str],
        plan: list[tuple[Question, list[tuple[int, str, Target]]]],
    ) -> Prepared:
        cell_errors: list[tuple[str, str]] = []  # every bad cell of the row, not only the first
        respondent = self._respondent(number, cells, fields, field_column, cell_errors)
        entries: list[dict[str, Any]] = []
        columns_of: list[dict[str, str]] = []
        for question, group in plan:
            qid = question.id
            if question.kind in ATTRIBUTE_KINDS:
                per_attribute: dict[int, dict[str, Any]] = {}
                for index, _column, target in group:
                    value = cells[index]
                    if value is None or value == "" or (value.__class__ is str and not value.strip()):
                        continue
                    attribute_pk = target.attribute.id  # type: ignore[union-attr]
                    entry = per_attribute.get(attribute_pk)
                    if entry is None:
                        entry = per_attribute[attribute_pk] = {"question": question, "attribute": attribute_pk}
                    entry[target.part] = value
                for attribute_pk, entry in per_attribute.items():
                    entries.append(entry)
                    columns_of.append(self.part_columns[(qid, attribute_pk)])
                continue
            entry = {"question": question}
            for index, _column, target in group:
                value = cells[index]
                if value is None or value == "" or (value.__class__ is str and not value.strip()):
                    continue
                part = target.part
                if part == "choices":
                    value = [self._code(question, item) for item in re.split(r"[;,|]", str(value)) if item.strip()]
                elif part == "text":
                    value = str(value)
                elif question.kind == K.SINGLE_CHOICE:
                    value = self._code(question, value)
                entry[part] = value
            if len(entry) > 1:
                entries.append(entry)
                columns_of.append(self.part_columns[(qid, None)])
        try:
            answers, bad = self.checker.rows_or_errors(entries)
        except Incomplete as exc:  # a required answer left out (told only when the answers given are all good)
            answers, bad = [], []
            cell_errors.append((self.first_column.get(exc.question_id, ""), exc.message))
        for error in bad:
            column = ""
            match = _FIELD_PATH.match(error.field or "")
            if match:
                cols = columns_of[int(match["i"])]
                column = cols.get(match["key"] or "question", "") or cols["question"]
            cell_errors.append((column, error.message))
        if cell_errors:
            raise _RowError(cell_errors)
        return Prepared(number, *respondent, answers)

    def _code(self, question: Question, raw: Any) -> Any:
        """An option given by its label (in any of the survey's languages) as its code; anything else as it is."""
        if _whole(raw) is not None:
            return raw
        return self.choice_codes[question.id].get(_norm(raw), raw)

    def _respondent(
        self,
        number: int,
        cells: list[Any],
        fields: dict[str, int],
        field_column: dict[str, str],
        errors: list[tuple[str, str]],
    ) -> tuple[str, dt.datetime, str, str, str]:
        """The row's respondent fields; a bad one is added to ``errors`` (column, message) and the others read on."""
        survey = self.survey
        external_id = ""
        if "respondent_id" in fields:
            raw = cells[fields["respondent_id"]]
            external_id = "" if raw is None else str(raw).strip()
            if len(external_id) > MAX_EXTERNAL_ID:
                errors.append(
                    (
                        field_column["respondent_id"],
                        _("A respondent id may have at most %(n)d characters.") % {"n": MAX_EXTERNAL_ID},
                    )
                )
                external_id = ""
        submitted = self.now
        if "submitted_at" in fields and _given(cells[fields["submitted_at"]]) is not None:
            parsed = _moment(cells[fields["submitted_at"]], self.zone)
            if parsed is None:
                errors.append(
                    (
                        field_column["submitted_at"],
                        _("%(v)s is not a date and time (write it as 2026-03-31 14:05).")
                        % {"v": cells[fields["submitted_at"]]},
                    )
                )
            elif parsed > self.now:
                errors.append((field_column["submitted_at"], _("A response cannot be submitted in the future.")))
            else:
                submitted = parsed
        language = survey.default_language
        if "language" in fields and _given(cells[fields["language"]]) is not None:
            raw_lang = str(cells[fields["language"]]).strip().lower().replace("_", "-").split("-")[0]
            if raw_lang not in survey.languages:
                errors.append(
                    (
                        field_column["language"],
                        _("%(lang)s is not one of this survey's languages.") % {"lang": cells[fields["language"]]},
                    )
                )
            else:
                language = raw_lang
        channel = Response.Channel.IMPORT.value
        if "channel" in fields and _given(cells[fields["channel"]]) is not None:
            found = self.channels.get(_norm(cells[fields["channel"]]))
            if found is None:
                errors.append(
                    (
                        field_column["channel"],
                        _("%(v)s is not a channel: use one of %(all)s.")
                        % {"v": cells[fields["channel"]], "all": ", ".join(Response.Channel.values)},
                    )
                )
            else:
                channel = found
        email = ""
        if "customer_email" in fields and _given(cells[fields["customer_email"]]) is not None:
            email = str(cells[fields["customer_email"]]).strip()
            try:
                validate_email(email)
            except ValidationError:
                errors.append((field_column["customer_email"], _("%(v)s is not an email address.") % {"v": email}))
        if external_id:
            first = self.seen.get(external_id)
            if first is not None:
                errors.append(
                    (
                        field_column["respondent_id"],
                        _("The respondent %(id)s is already in row %(row)d of this file.")
                        % {"id": external_id, "row": first},
                    )
                )
            else:
                self.seen[external_id] = number
        return external_id, submitted, language, channel, email

    def _check_known(self, batch: Batch, column: str) -> None:
        """Respondents imported into the survey before (by an earlier import or batch) are errors of their row."""
        ids = [p.external_id for p in batch.prepared if p.external_id]
        if not ids:
            return
        known = set(
            ImportedRespondent.objects.filter(survey_id=self.survey.pk, external_id__in=ids).values_list(
                "external_id", flat=True
            )
        )
        if not known:
            return
        kept: list[Prepared] = []
        for p in batch.prepared:
            if p.external_id in known:
                batch.errors.append(
                    FileError(
                        p.row,
                        column,
                        _("The respondent %(id)s has already been imported into this survey.") % {"id": p.external_id},
                    )
                )
            else:
                kept.append(p)
        batch.prepared = kept
        batch.errors.sort(key=lambda e: e.row or 0)


class _RowError(Exception):
    """A row's bad cells, each as (column, message)."""

    def __init__(self, cells: list[tuple[str, str]]) -> None:
        super().__init__(cells[0][1])
        self.cells = cells


def _given(value: Any) -> Any:
    """The cell's value, or None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _moment(raw: Any, zone: dt.tzinfo) -> dt.datetime | None:
    """A cell as an instant: ISO text or a spreadsheet date; without a zone it is read in ``zone``."""
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, dt.date):
        value = dt.datetime.combine(raw, dt.time())
    else:
        text = str(raw).strip().replace("/", "-")
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, zone)
    return value


# Saving -------------------------------------------------------------------------------------------------

_RESPONSE_COLUMNS = (
    "id",
    "survey_id",
    "wave_id",
    "customer_id",
    "channel",
    "language",
    "started_at",
    "submitted_at",
    "service_id",
)


def _customers(organization_id: int, batch: list[Prepared]) -> dict[str, int]:
    emails = {p.email.lower() for p in batch if p.email}
    if not emails:
        return {}
    found: dict[str, int] = {}
    for pk, email in (
        Customer.objects.filter(organization_id=organization_id)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .order_by("pk")
        .values_list("pk", "email_lower")
    ):
        found.setdefault(email, pk)
    return found


def write_batch(job: ImportJob, batch: Batch) -> None:
    """Save one batch's responses, answers and respondent ids, and move the job's committed-rows mark, at once."""
    survey = job.survey
    prepared = batch.prepared
    customers = _customers(survey.organization_id, prepared)
    with transaction.atomic():
        if prepared:
            if connection.vendor == "postgresql":
                _copy(job, survey, prepared, customers)
            else:
                _bulk_create(job, survey, prepared, customers)
            counts: Counter[figures.Key] = Counter()
            for p in prepared:
                figures.response_counts(
                    counts,
                    wave_id=job.wave_id,
                    service_id=survey.service_id,
                    moment_id=None,
                    channel=p.channel,
                    answers=p.answers,
                )
            figures.add(survey.pk, counts)
        ImportJob.objects.filter(pk=job.pk).update(
            rows_done=job.rows_done + batch.rows_read,
            responses_created=job.responses_created + len(prepared),
            heartbeat_at=timezone.now(),
        )
    job.rows_done += batch.rows_read
    job.responses_created += len(prepared)


def _copy(job: ImportJob, survey: Survey, prepared: list[Prepared], customers: dict[str, int]) -> None:
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Response._meta.db_table, len(prepared)],
        )
        ids = [r[0] for r in cursor.fetchall()]
        response_table = connection.ops.quote_name(Response._meta.db_table)
        with cursor.copy(f"COPY {response_table} ({', '.join(_RESPONSE_COLUMNS)}) FROM STDIN") as copy:
            for pk, p in zip(ids, prepared, strict=True):
                copy.write_row(
                    (
                        pk,
                        survey.pk,
                        job.wave_id,
                        customers.get(p.email.lower()) if p.email else None,
                        p.channel,
                        p.language,
                        p.submitted_at,
                        p.submitted_at,
                        survey.service_id,
                    )
                )
        answer_table = connection.ops.quote_name(Answer._meta.db_table)
        with cursor.copy(f"COPY {answer_table} (response_id, {', '.join(ANSWER_COLUMNS)}) FROM STDIN") as copy:
            for pk, p in zip(ids, prepared, strict=True):
                for row in p.answers:
                    copy.write_row((pk, *row))
        if any(p.external_id for p in prepared):
            table = connection.ops.quote_name(ImportedRespondent._meta.db_table)
            with cursor.copy(f"COPY {table} (survey_id, external_id, response_id, job_id) FROM STDIN") as copy:
                for pk, p in zip(ids, prepared, strict=True):
                    if p.external_id:
                        copy.write_row((survey.pk, p.external_id, pk, job.pk))


def _bulk_create(job: ImportJob, survey: Survey, prepared: list[Prepared], customers: dict[str, int]) -> None:
    """SQLite: plain multi-row INSERTs; the batch's transaction holds the write lock, so the ids are ours."""
    response_table = connection.ops.quote_name(Response._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {response_table}")  # noqa: S608 (a model's table)
        last = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [Response._meta.db_table])
        seq = cursor.fetchone()
        first = max(last, seq[0] if seq else 0) + 1
        moment = connection.ops.adapt_datetimefield_value
        cursor.executemany(
            f"INSERT INTO {response_table} ({', '.join(_RESPONSE_COLUMNS)}) "  # noqa: S608 (a model's table)
            f"VALUES ({', '.join(['%s'] * len(_RESPONSE_COLUMNS))})",
            [
                (
                    pk,
                    survey.pk,
                    job.wave_id,
                    customers.get(p.email.lower()) if p.email else None,
                    p.channel,
                    p.language,
                    moment(p.submitted_at),
                    moment(p.submitted_at),
                    survey.service_id,
                )
                for pk, p in enumerate(prepared, start=first)
            ],
        )
    responses = [Response(pk=pk) for pk in range(first, first + len(prepared))]
    # the answers are the many rows: written without making a model instance of each
    answer_table = connection.ops.quote_name(Answer._meta.db_table)
    columns = ("response_id", *ANSWER_COLUMNS)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {answer_table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",  # noqa: S608
            [(r.pk, *row) for r, p in zip(responses, prepared, strict=True) for row in p.answers],
        )
        table = connection.ops.quote_name(ImportedRespondent._meta.db_table)
        cursor.executemany(
            f"INSERT INTO {table} (survey_id, external_id, response_id, job_id) VALUES (%s, %s, %s, %s)",  # noqa: S608
            [
                (survey.pk, p.external_id, r.pk, job.pk)
                for r, p in zip(responses, prepared, strict=True)
                if p.external_id
            ],
        )


# Running a job -------------------------------------------------------------------------------------------

Progress = Callable[[ImportJob], None]


def claim(job_pk: int) -> ImportJob | None:
    """Take the job to run it: a queued one, an interrupted one, or one whose runner went silent."""
    now = timezone.now()
    runnable = Q(status__in=[Status.QUEUED, Status.FAILED]) | Q(
        status__in=[Status.CHECKING, Status.LOADING], heartbeat_at__lt=now - STALE_AFTER
    )
    taken = ImportJob.objects.filter(runnable, pk=job_pk).update(status=Status.CHECKING, heartbeat_at=now)
    if not taken:
        return None
    return ImportJob.objects.select_related("survey", "created_by").get(pk=job_pk)


def _record_errors(job: ImportJob, errors: list[FileError]) -> None:
    room = MAX_ERRORS - len(job.errors)
    if room > 0:
        job.errors.extend(e.as_dict() for e in errors[:room])
    job.error_count += len(errors)


def _finish(job: ImportJob, status: str) -> None:
    job.status = status
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at", "errors", "error_count", "rows_checked", "rows_total"])


def active_language() -> str:
    """The language active now, as one of the site's: the language an import's error report is written in."""
    try:
        return translation.get_supported_language_variant(translation.get_language() or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def run(job_pk: int, *, progress: Progress | None = None, size: int = BATCH_SIZE) -> ImportJob | None:
    """Check and import the job's file (or only check it, for a check-only job); None when not runnable now.

    The errors are written in the job's language (the uploader's), whatever language the caller has active."""
    job = claim(job_pk)
    if job is None:
        return None
    with translation.override(job.language or settings.LANGUAGE_CODE):
        return _run_claimed(job, progress, size)


def _run_claimed(job: ImportJob, progress: Progress | None, size: int) -> ImportJob:
    job.started_at = job.started_at or timezone.now()
    job.errors, job.error_count, job.rows_checked = [], 0, 0
    ImportJob.objects.filter(pk=job.pk).update(started_at=job.started_at, errors=[], error_count=0, rows_checked=0)
    try:
        return _run(job, progress or (lambda j: None), size)
    except FileUnreadable as exc:
        _record_errors(job, [FileError(exc.row, exc.column, exc.message)])
        _finish(job, Status.INVALID)
        return job
    except Exception as exc:
        log.exception("survey import %s interrupted", job.pk)
        _record_errors(
            job,
            [
                FileError(
                    None,
                    "",
                    _("The import stopped after %(n)d rows (%(e)s): resume it to go on from there.")
                    % {"n": job.rows_done, "e": exc.__class__.__name__},
                )
            ],
        )
        _finish(job, Status.FAILED)
        return job


def _spooled(spool: IO[bytes]) -> Iterator[Batch]:
    """The batches the check pass kept, in order (written by this same run: ``pickle`` reads only our own file)."""
    while True:
        try:
            yield pickle.load(spool)  # noqa: S301 (our own temporary file)
        except EOFError:
            return


def _beat(job: ImportJob, progress: Progress, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now(), **fields)
    progress(job)


def _run(job: ImportJob, progress: Progress, size: int) -> ImportJob:
    survey = job.survey
    if survey.status == Survey.Status.DRAFT:
        raise FileUnreadable(_("Open the survey before importing responses: a draft's questions may still change."))
    reader = RowReader(job)
    if job.rows_total is None:
        _header, rows = open_rows(job)
        _beat(job, progress, rows_total=sum(1 for _row in rows))
    first_run = job.rows_done == 0
    with tempfile.TemporaryFile() as spool:
        if job.mode == ImportJob.Mode.CHECK_FIRST:
            # the checked batches are kept on disk, so the load pass writes them without reading and checking
            # the file a second time (and the memory holds one batch, not the file)
            _beat(job, progress, status=Status.CHECKING)
            header, rows = open_rows(job)
            for batch in reader.batches(header, rows, skip=job.rows_done, size=size):
                if batch.errors:
                    _record_errors(job, batch.errors)
                elif not job.error_count:
                    pickle.dump(batch, spool, protocol=pickle.HIGHEST_PROTOCOL)
                _beat(job, progress, rows_checked=job.rows_checked + batch.rows_read, error_count=job.error_count)
            if job.error_count:
                _finish(job, Status.INVALID)
                return job
            if job.check_only:
                _finish(job, Status.CHECKED)
                return job
            spool.seek(0)
            checked = _spooled(spool)
        else:
            header, rows = open_rows(job)
            checked = reader.batches(header, rows, skip=job.rows_done, size=size)
        _beat(job, progress, status=Status.LOADING)
        for batch in checked:
            if batch.errors:
                _record_errors(job, batch.errors)
                _finish(job, Status.INVALID)
                return job
            write_batch(job, batch)
            if job.mode == ImportJob.Mode.BATCHES:
                job.rows_checked = job.rows_done
            progress(job)
    job.rows_checked = job.rows_done
    _finish(job, Status.DONE)
    audit.record(
        actor=job.created_by,
        organization_id=survey.organization_id,
        verb="responses_imported" if first_run else "responses_import_resumed",
        obj=job,
        scope=survey,
        changes={"file": job.file_name, "responses": job.responses_created, "rows": job.rows_done},
    )
    return job


def resumable(job: ImportJob) -> bool:
    """Whether the job may be (re)started: not running, not done, or running but silent for too long."""
    if job.status in (Status.NEW, Status.CHECKED, Status.INVALID, Status.FAILED):
        return True
    stale = job.heartbeat_at is None or job.heartbeat_at < timezone.now() - STALE_AFTER
    return job.status in (Status.CHECKING, Status.LOADING) and stale


def queue(job: ImportJob, *, check_only: bool = False, background: bool = True) -> None:
    """Mark the job queued (its mapping checked) and hand it to a background worker (or to the caller's ``run``)."""
    from servicecycle.surveys.tasks import run_survey_import

    if not resumable(job):
        raise ValidationFailed({"job": [_("This import is already running or done.")]})
    # an interrupted import keeps its committed rows (rows_done) and goes on after them
    job.check_only = check_only
    job.status = Status.QUEUED
    job.language = job.language or active_language()  # a job made before jobs kept their uploader's language
    job.save(update_fields=["check_only", "status", "language"])
    if background:  # the database task backend queues it in this transaction, with the job's status
        run_survey_import.enqueue(job.pk)


# Starting a job ------------------------------------------------------------------------------------------

FORMATS = {".csv": ImportJob.Format.CSV, ".txt": ImportJob.Format.CSV, ".xlsx": ImportJob.Format.XLSX}


def start(
    *,
    acting_user: Any,
    survey: Survey,
    file: Any,
    file_name: str,
    wave: Any = None,
    mode: str = ImportJob.Mode.CHECK_FIRST,
) -> ImportJob:
    """Store the file and make its job, with the mapping proposed from the header (to be confirmed)."""
    from pathlib import PurePath

    from django.core.files import File

    found = Survey.objects.filter(pk=survey.pk).first()
    if found is None or (
        acting_user is not None and require(acting_user, "survey.design").organization_id != found.organization_id
    ):
        raise NotFound(_("Survey not found."))
    survey = found
    if survey.status == Survey.Status.DRAFT:
        raise fail("file", _("Open the survey before importing responses: a draft's questions may still change."))
    if wave is not None and wave.survey_id != survey.pk:
        raise fail("wave", _("The wave belongs to another survey."))
    if mode not in ImportJob.Mode.values:
        raise fail("mode", _("Unknown import mode."))
    file_format = FORMATS.get(PurePath(file_name).suffix.lower())
    if file_format is None:
        raise fail("file", _("Upload a .csv or .xlsx file."))
    job = ImportJob(
        survey=survey,
        wave=wave,
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        file_name=PurePath(file_name).name[:255],
        file_format=file_format,
        mode=mode,
        language=active_language(),
    )
    job.file.save(file_name, file if hasattr(file, "chunks") else File(file), save=False)
    try:
        header = read_header(job)
    except FileUnreadable as exc:
        job.file.delete(save=False)
        raise fail("file", exc.message) from None
    questions, attributes = survey_structure(survey)
    job.columns = header
    job.mapping = propose_mapping(header, targets_of(survey, questions, attributes))
    job.save()
    audit.record(
        actor=acting_user,
        organization_id=survey.organization_id,
        verb="responses_import_uploaded",
        obj=job,
        scope=survey,
        changes={"file": job.file_name, "columns": len(header)},
    )
    return job


def set_mapping(*, acting_user: Any, job: ImportJob, mapping: Mapping[str, str], mode: str | None = None) -> ImportJob:
    """Confirm the job's column mapping (and mode), checked against the survey and the file's header."""
    survey = job.survey
    if acting_user is not None and require(acting_user, "survey.design").organization_id != survey.organization_id:
        raise NotFound(_("Survey not found."))
    if not resumable(job) or job.rows_done:
        raise fail("mapping", _("This import has started: its mapping can no longer change."))
    unknown = [c for c in mapping if c not in job.columns]
    if unknown:
        raise fail(unknown[0], _("The file has no column %(c)s.") % {"c": unknown[0]})
    questions, attributes = survey_structure(survey)
    cleaned = check_mapping(job.columns, mapping, targets_of(survey, questions, attributes))
    before = job.mapping
    job.mapping = cleaned
    if mode is not None:
        if mode not in ImportJob.Mode.values:
            raise fail("mode", _("Unknown import mode."))
        job.mode = mode
    job.status = Status.NEW
    job.save(update_fields=["mapping", "mode", "status"])
    audit.record(
        actor=acting_user,
        organization_id=survey.organization_id,
        verb="responses_import_mapped",
        obj=job,
        scope=survey,
        changes=audit.diff({"mapping": before}, {"mapping": cleaned}),
    )
    return job
