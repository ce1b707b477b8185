"""The respondent's pages: how questions are split into pages, read from a form, checked and drawn.

Answers travel in the shape ``record_response`` takes ({question id: [entries]}); this module turns a
page's posted fields into those entries, checks them in words a respondent understands, and builds the
plain structures the template draws (options with their checked state, the error of each question).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from servicecycle.core.errors import DomainError
from servicecycle.surveys.actions.collection import shown
from servicecycle.surveys.actions.design import ATTRIBUTE_KINDS, _whole
from servicecycle.surveys.actions.responses import _Given, _label, _read_answer
from servicecycle.surveys.models import Attribute, Question, text_in

K = Question.Kind
PER_PAGE = 3
SCALE_KINDS = frozenset({K.NPS, K.CSAT, K.CES, K.RATING})
OWN_PAGE_KINDS = frozenset({K.IPA_GRID, K.ALLOCATION})

Entries = list[dict[str, Any]]


def pages_of(questions: Sequence[Question]) -> list[list[Question]]:
    """A few questions per page; a grid or an allocation gets a page of its own, and a question whose
    display condition tests a question of the current page starts the next one (so it can be shown)."""
    pages: list[list[Question]] = []
    current: list[Question] = []
    for q in questions:
        on_page = {p.pk for p in current}
        if current and (
            len(current) >= PER_PAGE
            or q.kind in OWN_PAGE_KINDS
            or current[-1].kind in OWN_PAGE_KINDS
            or (q.condition and q.condition["question"] in on_page)
        ):
            pages.append(current)
            current = []
        current.append(q)
    if current:
        pages.append(current)
    return pages


def visible_pages(pages: list[list[Question]], answers: Mapping[str, Any]) -> list[list[Question]]:
    """The pages with at least one question shown after the answers so far, each with only those shown."""
    result = []
    for page in pages:
        showing = [q for q in page if shown(q, answers)]
        if showing:
            result.append(showing)
    return result


def _get(data: QueryDict, name: str) -> str:
    return (data.get(name) or "").strip()


def parse(question: Question, data: QueryDict) -> Entries:
    """The question's entries from the posted fields (empty when nothing was answered)."""
    name = f"q{question.pk}"
    kind = question.kind
    if kind in SCALE_KINDS or kind == K.SINGLE_CHOICE:
        raw = _get(data, name)
        return [{"value": raw}] if raw else []
    if kind == K.MULTIPLE_CHOICE:
        chosen = [v for v in data.getlist(name) if v.strip()]
        return [{"choices": chosen}] if chosen else []
    if kind == K.TEXT:
        text = _get(data, name)
        return [{"text": text}] if text else []
    if kind == K.SERVQUAL_PAIR:
        expectation, perception = _get(data, f"{name}-e"), _get(data, f"{name}-p")
        if not expectation and not perception:
            return []
        return [{"expectation": expectation or None, "perception": perception or None}]
    entries: Entries = []
    for attribute in question.attributes.all():
        prefix = f"{name}-a{attribute.pk}"
        if kind == K.IPA_GRID:
            importance, performance = _get(data, f"{prefix}-i"), _get(data, f"{prefix}-p")
            competitor = _get(data, f"{prefix}-c")
            if importance or performance or competitor:
                entry: dict[str, Any] = {
                    "attribute": attribute.pk,
                    "importance": importance or None,
                    "performance": performance or None,
                }
                if competitor:
                    entry["competitor_performance"] = competitor
                entries.append(entry)
        else:  # allocation: an empty box counts as 0 points
            raw = _get(data, prefix)
            if raw:
                entries.append({"attribute": attribute.pk, "value": raw})
    return entries


def check(question: Question, entries: Entries, language: str) -> str | None:
    """What is wrong with the answer to one question, in the respondent's words; None when it is fine."""
    kind = question.kind
    if not entries:
        if not question.required:
            return None
        if kind == K.MULTIPLE_CHOICE:
            return _("Please choose at least one option.")
        if kind == K.TEXT:
            return _("Please write an answer.")
        if kind == K.SERVQUAL_PAIR:
            return _("Please rate both what you expect and what you experienced.")
        if kind == K.IPA_GRID:
            return _("Please rate the importance and our performance on every line.")
        if kind == K.ALLOCATION:
            return _("Please share the %(total)d points.") % {"total": question.scale_max}
        return _("Please choose an answer.")
    if kind == K.SERVQUAL_PAIR and any(entries[0].get(k) in (None, "") for k in ("expectation", "perception")):
        return _("Please rate both what you expect and what you experienced.")
    if kind == K.IPA_GRID:
        rated = {e["attribute"] for e in entries if e.get("importance") and e.get("performance")}
        if len(rated) < len(entries) or (question.required and len(rated) < len(question.attributes.all())):
            return _("Please rate the importance and our performance on every line.")
    if kind == K.ALLOCATION:
        values = [_whole(e.get("value")) for e in entries]
        if any(v is None or v < 0 for v in values):
            return _("Give the points as whole numbers.")
        total = sum(v for v in values if v is not None)
        if total != question.scale_max:
            return _("The points add up to %(sum)d; they must add up to %(total)d.") % {
                "sum": total,
                "total": question.scale_max,
            }
    attributes = {a.pk: a for a in question.attributes.all()} if kind in ATTRIBUTE_KINDS else {}
    given = _Given()
    label = _label(question, language)
    try:
        for index, entry in enumerate(entries):
            _read_answer(question, label, entry, index, attributes, given)
    except DomainError as exc:
        return exc.message.replace(f"{label}: ", "")
    return None


def normalise(question: Question, entries: Entries) -> Entries:
    """Entries with whole numbers where numbers are meant (after ``check`` passed), for the draft."""
    number_keys = ("value", "importance", "performance", "competitor_performance", "expectation", "perception")
    result = []
    for entry in entries:
        clean: dict[str, Any] = {}
        for key, value in entry.items():
            if key in number_keys:
                clean[key] = _whole(value)
            elif key == "choices":
                clean[key] = [_whole(v) for v in value]
            else:
                clean[key] = value
        result.append(clean)
    return result


# Drawing --------------------------------------------------------------------------------------------


@dataclass
class Option:
    value: int
    label: str
    checked: bool
    id: str


@dataclass
class Scale:
    name: str
    legend: str
    options: list[Option]
    low_label: str = ""
    high_label: str = ""


@dataclass
class Row:
    attribute: Attribute
    text: str
    scales: list[Scale] = field(default_factory=list)
    name: str = ""
    value: Any = ""


@dataclass
class Shown:
    question: Question
    text: str
    number: int
    kind: str
    error: str | None = None
    scale: Scale | None = None
    choices: list[Option] = field(default_factory=list)
    multiple: bool = False
    text_value: str = ""
    scales: list[Scale] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    @property
    def field_id(self) -> str:
        return f"q{self.question.pk}"


def _scale(name: str, legend: str, low: int, high: int, current: Any, low_label: str, high_label: str) -> Scale:
    chosen = _whole(current)
    return Scale(
        name=name,
        legend=legend,
        options=[Option(v, str(v), chosen == v, f"{name}-{v}") for v in range(low, high + 1)],
        low_label=low_label,
        high_label=high_label,
    )


def _anchors(kind: str, low: int, high: int) -> tuple[str, str]:
    if kind == K.NPS:
        return _("%(n)d = not at all likely") % {"n": low}, _("%(n)d = extremely likely") % {"n": high}
    if kind == K.CSAT:
        return _("%(n)d = very dissatisfied") % {"n": low}, _("%(n)d = very satisfied") % {"n": high}
    if kind in (K.CES, K.SERVQUAL_PAIR):
        return _("%(n)d = strongly disagree") % {"n": low}, _("%(n)d = strongly agree") % {"n": high}
    return _("%(n)d = lowest") % {"n": low}, _("%(n)d = highest") % {"n": high}


def build(
    question: Question,
    number: int,
    entries: Entries | Mapping[str, Any],
    language: str,
    fallback: str,
    error: str | None,
) -> Shown:
    """What the template draws for one question, with the respondent's answers filled in."""
    items: Entries = list(entries) if isinstance(entries, list) else []
    first = items[0] if items else {}
    kind = question.kind
    name = f"q{question.pk}"
    shown_q = Shown(question, text_in(question.texts, language, fallback), number, kind, error)
    low, high = question.scale_min, question.scale_max
    if kind in SCALE_KINDS and low is not None and high is not None:
        lo_label, hi_label = _anchors(kind, low, high)
        shown_q.scale = _scale(name, shown_q.text, low, high, first.get("value"), lo_label, hi_label)
    elif kind in (K.SINGLE_CHOICE, K.MULTIPLE_CHOICE):
        chosen = {_whole(v) for v in first.get("choices", [])} | {_whole(first.get("value"))}
        shown_q.multiple = kind == K.MULTIPLE_CHOICE
        shown_q.choices = [
            Option(c["code"], text_in(c["texts"], language, fallback), c["code"] in chosen, f"{name}-{c['code']}")
            for c in question.choices
        ]
    elif kind == K.TEXT:
        shown_q.text_value = first.get("text", "")
    elif kind == K.SERVQUAL_PAIR and low is not None and high is not None:
        lo_label, hi_label = _anchors(kind, low, high)
        shown_q.scales = [
            _scale(
                f"{name}-e",
                _("What an excellent provider would do"),
                low,
                high,
                first.get("expectation"),
                lo_label,
                hi_label,
            ),
            _scale(f"{name}-p", _("What you found with us"), low, high, first.get("perception"), lo_label, hi_label),
        ]
    elif kind in ATTRIBUTE_KINDS:
        by_attribute = {_whole(e.get("attribute")): e for e in items}
        for attribute in question.attributes.all():
            entry = by_attribute.get(attribute.pk, {})
            prefix = f"{name}-a{attribute.pk}"
            row = Row(attribute, text_in(attribute.texts, language, fallback), name=prefix)
            if kind == K.IPA_GRID and low is not None and high is not None:
                row.scales = [
                    _scale(
                        f"{prefix}-i",
                        _("How important it is to you"),
                        low,
                        high,
                        entry.get("importance"),
                        _("%(n)d = not important") % {"n": low},
                        _("%(n)d = very important") % {"n": high},
                    ),
                    _scale(
                        f"{prefix}-p",
                        _("How well we do it"),
                        low,
                        high,
                        entry.get("performance"),
                        _("%(n)d = very poorly") % {"n": low},
                        _("%(n)d = very well") % {"n": high},
                    ),
                ]
                if question.competitor_name:
                    row.scales.append(
                        _scale(
                            f"{prefix}-c",
                            _("How well %(name)s does it (optional)") % {"name": question.competitor_name},
                            low,
                            high,
                            entry.get("competitor_performance"),
                            _("%(n)d = very poorly") % {"n": low},
                            _("%(n)d = very well") % {"n": high},
                        )
                    )
            else:
                row.value = entry.get("value", "")
            shown_q.rows.append(row)
    return shown_q
