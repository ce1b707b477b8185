"""Recording a response: every answer checked against its question, then all saved or nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Customer, Staff
from servicecycle.accounts.permissions import require
from servicecycle.core.changes import hash_token
from servicecycle.core.errors import Conflict, NotFound, ValidationFailed
from servicecycle.core.validation import fail
from servicecycle.surveys import figures
from servicecycle.surveys.actions.design import (
    ATTRIBUTE_KINDS,
    K,
    _moment_of,
    _service_of,
    _value_allowed,
    _whole,
)
from servicecycle.surveys.models import Answer, Attribute, Question, Response, Survey, Wave, text_in

# The keys an answer of each kind may carry, besides "question".
ANSWER_KEYS: dict[str, frozenset[str]] = {
    K.NPS: frozenset({"value"}),
    K.CSAT: frozenset({"value"}),
    K.CES: frozenset({"value"}),
    K.RATING: frozenset({"value"}),
    K.SINGLE_CHOICE: frozenset({"value"}),
    K.MULTIPLE_CHOICE: frozenset({"choices"}),
    K.TEXT: frozenset({"text"}),
    K.IPA_GRID: frozenset({"attribute", "importance", "performance", "competitor_performance"}),
    K.SERVQUAL_PAIR: frozenset({"expectation", "perception"}),
    K.ALLOCATION: frozenset({"attribute", "value"}),
}

MAX_ANSWER_TEXT = 5000
_ALLOWED_KEYS = {kind: keys | {"question"} for kind, keys in ANSWER_KEYS.items()}


# One answer as the Answer table stores it, in this column order (the bulk loaders write these tuples as they are):
ANSWER_COLUMNS = (
    "question_id",
    "attribute_id",
    "value",
    "importance",
    "performance",
    "competitor_performance",
    "expectation",
    "perception",
    "text",
)
AnswerRow = tuple[int, int | None, int | None, int | None, int | None, int | None, int | None, int | None, str | None]


@dataclass
class _Given:
    """What one response says about one question: its answer rows and the codes/scores a condition tests."""

    rows: list[AnswerRow] = field(default_factory=list)
    values: set[int] = field(default_factory=set)
    attributes: set[int] = field(default_factory=set)


class Incomplete(ValidationFailed):
    """The answers leave out a required question, answer a hidden one, or do not add up; names the question."""

    def __init__(self, question: Question, message: str) -> None:
        super().__init__({"answers": [message]})
        self.question_id = question.pk


def _label(question: Question, language: str) -> str:
    text = text_in(question.texts, language)
    short = text if len(text) <= 60 else text[:57] + "..."
    return _('Question %(n)d ("%(text)s")') % {"n": question.position, "text": short}


def _score(
    question: Question,
    label: str,
    entry: Mapping[str, Any],
    key: str,
    index: int,
    low: int | None,
    high: int | None,
) -> int:
    raw = entry.get(key)
    value = _whole(raw)
    if raw is None or value is None:
        raise fail(f"answers[{index}].{key}", _("%(q)s: %(key)s must be a whole number.") % {"q": label, "key": key})
    if low is not None and high is not None and not low <= value <= high:
        raise fail(
            f"answers[{index}].{key}",
            _("%(q)s: %(value)d is outside its scale %(low)d-%(high)d.")
            % {"q": label, "value": value, "low": low, "high": high},
        )
    return value


def _choice(question: Question, label: str, raw: Any, where: str) -> int:
    value = _whole(raw)
    if value is None or not _value_allowed(question, value):
        raise fail(where, _("%(q)s: %(value)s is not one of its options.") % {"q": label, "value": raw})
    return value


def _attribute(question: Question, label: str, raw: Any, attributes: dict[int, Attribute], where: str) -> Attribute:
    pk = raw.pk if isinstance(raw, Attribute) else _whole(raw)
    attribute = attributes.get(pk) if pk is not None else None
    if attribute is None or attribute.question_id != question.pk:
        raise fail(where, _("%(q)s: the attribute is not one of this question's.") % {"q": label})
    return attribute


def _read_answer(
    question: Question,
    label: str,
    entry: Mapping[str, Any],
    index: int,
    attributes: dict[int, Attribute],
    given: _Given,
) -> None:
    """Check one answer entry against its question and add its rows to ``given``."""
    where = f"answers[{index}]"
    qid = question.id
    if not entry.keys() <= _ALLOWED_KEYS[question.kind]:
        extra = set(entry) - _ALLOWED_KEYS[question.kind]
        raise fail(
            where,
            _("%(q)s: %(key)s is not part of this kind of answer.") % {"q": label, "key": sorted(extra)[0]},
        )
    kind = question.kind
    if kind in (K.NPS, K.CSAT, K.CES, K.RATING):
        value = _score(question, label, entry, "value", index, question.scale_min, question.scale_max)
        given.rows.append((qid, None, value, None, None, None, None, None, None))
        given.values.add(value)
    elif kind == K.SINGLE_CHOICE:
        value = _choice(question, label, entry.get("value"), f"{where}.value")
        given.rows.append((qid, None, value, None, None, None, None, None, None))
        given.values.add(value)
    elif kind == K.MULTIPLE_CHOICE:
        chosen = entry.get("choices")
        if not isinstance(chosen, list | tuple) or not chosen:
            raise fail(f"{where}.choices", _("%(q)s: choose at least one option.") % {"q": label})
        codes = [_choice(question, label, raw, f"{where}.choices") for raw in chosen]
        if len(set(codes)) != len(codes):
            raise fail(f"{where}.choices", _("%(q)s: an option is chosen twice.") % {"q": label})
        given.rows.extend((qid, None, code, None, None, None, None, None, None) for code in codes)
        given.values.update(codes)
    elif kind == K.TEXT:
        text = entry.get("text")
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            raise fail(f"{where}.text", _("%(q)s: write an answer or leave the question out.") % {"q": label})
        if len(text) > MAX_ANSWER_TEXT:
            raise fail(
                f"{where}.text",
                _("%(q)s: an answer may have at most %(n)d characters.") % {"q": label, "n": MAX_ANSWER_TEXT},
            )
        given.rows.append((qid, None, None, None, None, None, None, None, text))
    elif kind == K.SERVQUAL_PAIR:
        low, high = question.scale_min, question.scale_max
        expectation = _score(question, label, entry, "expectation", index, low, high)
        perception = _score(question, label, entry, "perception", index, low, high)
        given.rows.append((qid, None, None, None, None, None, expectation, perception, None))
    else:  # attribute kinds: one entry per attribute
        attribute = _attribute(question, label, entry.get("attribute"), attributes, f"{where}.attribute")
        if attribute.pk in given.attributes:
            raise fail(
                f"{where}.attribute",
                _("%(q)s: the attribute %(a)s is answered twice.") % {"q": label, "a": attribute.position},
            )
        given.attributes.add(attribute.pk)
        low, high = question.scale_min, question.scale_max
        if kind == K.IPA_GRID:
            competitor = None
            if entry.get("competitor_performance") is not None:
                if not question.competitor_name:
                    raise fail(
                        f"{where}.competitor_performance",
                        _("%(q)s: this grid does not rate a competitor.") % {"q": label},
                    )
                competitor = _score(question, label, entry, "competitor_performance", index, low, high)
            importance = _score(question, label, entry, "importance", index, low, high)
            performance = _score(question, label, entry, "performance", index, low, high)
            given.rows.append((qid, attribute.pk, None, importance, performance, competitor, None, None, None))
        else:
            value = _score(question, label, entry, "value", index, low, high)
            given.rows.append((qid, attribute.pk, value, None, None, None, None, None, None))


def _shown(question: Question, answered: dict[int, _Given]) -> bool:
    """Whether the question is shown, given the answers to the questions before it."""
    if not question.condition:
        return True
    source = answered.get(question.condition["question"])
    return source is not None and bool(source.values & set(question.condition["values"]))


class AnswerChecker:
    """The rules a response's answers follow, for one survey: used by ``record_response`` and the file import.

    ``rows(entries)`` checks one response's answer entries (see ``record_response``) and returns its answer
    rows, or raises ValidationFailed naming ``answers[i].<key>`` (``Incomplete`` naming the question for a
    required question left out, a hidden one answered, or an allocation that does not add up).
    """

    def __init__(self, questions: list[Question], attributes: dict[int, Attribute], language: str) -> None:
        self.questions = questions
        self.by_id = {q.id: q for q in questions}
        self.attributes = attributes
        self.language = language
        self.attribute_count: dict[int, int] = defaultdict(int)
        for attribute in attributes.values():
            self.attribute_count[attribute.question_id] += 1
        self._labels: dict[int, str] = {}

    def label(self, question: Question) -> str:
        label = self._labels.get(question.id)
        if label is None:
            label = self._labels[question.id] = _label(question, self.language)
        return label

    def rows(self, entries: Sequence[Mapping[str, Any]]) -> list[AnswerRow]:
        """The answer rows of a response; the first bad entry raised (ValidationFailed), or Incomplete."""
        rows, errors = self.rows_or_errors(entries)
        if errors:
            raise errors[0]
        return rows

    def rows_or_errors(self, entries: Sequence[Mapping[str, Any]]) -> tuple[list[AnswerRow], list[ValidationFailed]]:
        """As ``rows``, but the error of every bad entry rather than the first (a file import reports every bad
        cell of a row at once); a required question left out and the like (``Incomplete``, raised) only when
        every entry is good, as a bad entry may be what leaves a question out."""
        answered: dict[int, _Given] = {}
        errors: list[ValidationFailed] = []
        for index, entry in enumerate(entries):
            try:
                self._entry(index, entry, answered)
            except ValidationFailed as exc:
                errors.append(exc)
        if errors:
            return [], errors
        self._check_complete(answered)
        return [row for given in answered.values() for row in given.rows], []

    def _entry(self, index: int, entry: Any, answered: dict[int, _Given]) -> None:
        """Check one answer entry and add its rows to what the response gives its question."""
        if not isinstance(entry, Mapping):
            raise fail(f"answers[{index}]", _("Answer %(i)d must be a mapping with a question.") % {"i": index + 1})
        raw = entry.get("question")
        question = self.by_id.get(raw.id if isinstance(raw, Question) else _whole(raw) or 0)
        if question is None:
            raise fail(
                f"answers[{index}].question",
                _("Answer %(i)d names a question that is not part of this survey.") % {"i": index + 1},
            )
        label = self.label(question)
        qid = question.id
        if qid in answered and question.kind not in ATTRIBUTE_KINDS:
            raise fail(f"answers[{index}].question", _("%(q)s is answered twice.") % {"q": label})
        given = answered.get(qid)
        if given is None:
            given = answered[qid] = _Given()
        _read_answer(question, label, entry, index, self.attributes, given)

    def _check_complete(self, answered: dict[int, _Given]) -> None:
        """Required questions answered, hidden ones left out, allocations adding up."""
        for question in self.questions:
            given = answered.get(question.id)
            if question.condition and not _shown(question, answered):
                if given is not None:
                    raise Incomplete(
                        question,
                        _("%(q)s is not shown after these answers; leave it out.") % {"q": self.label(question)},
                    )
                continue
            if given is None:
                if question.required:
                    raise Incomplete(question, _("%(q)s needs an answer.") % {"q": self.label(question)})
                continue
            if (
                question.kind == K.IPA_GRID
                and question.required
                and len(given.attributes) < self.attribute_count[question.id]
            ):
                raise Incomplete(question, _("%(q)s: rate every attribute.") % {"q": self.label(question)})
            if question.kind == K.ALLOCATION:
                total = sum(row[2] or 0 for row in given.rows)
                if total != question.scale_max:
                    raise Incomplete(
                        question,
                        _("%(q)s: the points must add up to %(total)d; they add up to %(sum)d.")
                        % {"q": self.label(question), "total": question.scale_max, "sum": total},
                    )


@transaction.atomic
def record_response(
    *,
    acting_user: Any = None,
    survey: Survey,
    answers: Sequence[Mapping[str, Any]],
    wave: Wave | None = None,
    customer_id: Any = None,
    channel: str = Response.Channel.WEB,
    language: str | None = None,
    token: str | None = None,
    service_id: Any = None,
    moment_id: Any = None,
    started_at: dt.datetime | None = None,
) -> Response:
    """Save one response with all its answers, or nothing when any answer is not acceptable.

    ``answers`` holds one mapping per answer: {"question": id, ...} with "value" (scores, single choice,
    allocation points), "choices" (multiple choice), "text", "importance"/"performance"/
    "competitor_performance" (grids, with "attribute"), or "expectation"/"perception" (SERVQUAL).
    Without ``acting_user`` the system records it (a web link, an import); staff entering an interview
    need the customer.manage capability. A ``token`` (one-response link) is accepted once. The response
    takes the survey's service unless it names its own.
    """
    current = Survey.objects.filter(pk=survey.pk).select_related("service").first()
    if current is None:
        raise NotFound(_("Survey not found."))
    survey = current
    if acting_user is not None:
        staff: Staff = require(acting_user, "customer.manage")
        if staff.organization_id != survey.organization_id:
            raise NotFound(_("Survey not found."))
    if survey.status != Survey.Status.OPEN:
        raise fail("survey", _("This survey is not open for responses."))
    if wave is not None and wave.survey_id != survey.pk:
        raise fail("wave", _("The wave belongs to another survey."))
    language = language or survey.default_language
    if language not in survey.languages:
        raise fail("language", _("%(lang)s is not one of this survey's languages.") % {"lang": language})
    if channel not in Response.Channel.values:
        raise fail("channel", _("Unknown channel."))
    customer = None
    if customer_id not in (None, ""):
        customer = Customer.objects.filter(organization_id=survey.organization_id, pk=_whole(customer_id) or 0).first()
        if customer is None:
            raise fail("customer", _("Unknown customer."))
    service = _service_of(survey.organization_id, service_id)
    if service is None and survey.service_id is not None:
        service = survey.service
    moment = _moment_of(survey.organization_id, moment_id, service)
    now = timezone.now()
    started_at = started_at or now
    if started_at > now:
        raise fail("started_at", _("A response cannot start in the future."))
    if not isinstance(answers, Sequence) or isinstance(answers, str | bytes):
        raise fail("answers", _("Give the answers as a list."))

    questions = list(survey.questions.order_by("position"))
    attributes = {a.pk: a for a in Attribute.objects.filter(question__survey=survey)}
    rows = AnswerChecker(questions, attributes, language).rows(answers)

    token_hash = hash_token(token) if token else None
    if token_hash is not None and Response.objects.filter(token_hash=token_hash).exists():
        raise Conflict(_("This survey link has already been used to answer."), field="token")
    response = Response(
        survey=survey,
        wave=wave,
        customer=customer,
        channel=channel,
        language=language,
        token_hash=token_hash,
        started_at=started_at,
        submitted_at=now,
        service=service,
        moment=moment,
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:  # the same link submitted twice at once
        raise Conflict(_("This survey link has already been used to answer."), field="token") from None
    Answer.objects.bulk_create(Answer(response=response, **dict(zip(ANSWER_COLUMNS, row, strict=True))) for row in rows)
    counts: Counter[figures.Key] = Counter()
    figures.response_counts(
        counts,
        wave_id=response.wave_id,
        service_id=response.service_id,
        moment_id=response.moment_id,
        channel=response.channel,
        answers=rows,
    )
    figures.add(survey.pk, counts)
    return response
