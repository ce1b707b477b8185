"""Pages respondents use without signing in: a public survey link and personal single-use links.

Answers are kept page by page in a server-side draft (keyed by the invitation, or by a signed cookie
for a public link), so a respondent can leave and come back. The final page carries the draft's
submission nonce: sent twice, it is answered like the first time; a link already used is refused
politely. Every page is drawn in the respondent's language, chosen from the invitation, the customer
or the switcher, among the survey's languages.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django_ratelimit.decorators import ratelimit

from servicecycle.core.errors import DomainError
from servicecycle.surveys import actions, respondent
from servicecycle.surveys.actions.collection import browser_key, invitation_of
from servicecycle.surveys.models import Draft, Invitation, Survey, text_in
from servicecycle.surveys.queries import questions_of

BROWSER_COOKIE = "sc_survey_browser"
BROWSER_SALT = "servicecycle.surveys.browser"
COOKIE_AGE = 365 * 24 * 3600


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], language: str, status: int = 200
) -> HttpResponse:
    with translation.override(language):
        response = render(request, template, {**context, "language": language}, status=status)
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _language(request: HttpRequest, survey: Survey, draft: Draft) -> str:
    wanted = request.GET.get("lang", "")
    if wanted in survey.languages and wanted != draft.language:
        actions.save_draft(draft=draft, answers={}, language=wanted)
    return draft.language if draft.language in survey.languages else survey.default_language


def _browser_id(request: HttpRequest) -> tuple[str, bool]:
    """This browser's random id from its signed cookie, or a new one (True when it must be set)."""
    try:
        value = request.get_signed_cookie(BROWSER_COOKIE, salt=BROWSER_SALT)
    except (KeyError, signing.BadSignature):
        return secrets.token_urlsafe(16), True
    return str(value), False


def _with_cookie(response: HttpResponse, browser_id: str, new: bool, secure: bool) -> HttpResponse:
    if new:
        response.set_signed_cookie(
            BROWSER_COOKIE,
            browser_id,
            salt=BROWSER_SALT,
            max_age=COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=secure,
        )
    return response


@ratelimit(key="ip", rate="60/m", method="POST", block=True)
@ratelimit(key="ip", rate="300/m", method="GET", block=True)
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    invite = invitation_of(token)
    if invite is None:
        return _page(request, "surveys/public/unknown.html", {}, translation.get_language() or "en", status=404)
    survey = invite.survey
    draft = actions.open_draft(
        survey=survey, key=invite.token_hash, language=invite.language or survey.default_language
    )
    here = reverse("survey-invitation", kwargs={"token": token})
    return _answer(request, survey, draft, here, invite=invite, token=token)


@ratelimit(key="ip", rate="60/m", method="POST", block=True)
@ratelimit(key="ip", rate="300/m", method="GET", block=True)
def public(request: HttpRequest, key: str) -> HttpResponse:
    survey = Survey.objects.filter(public_key=key).first() if key and len(key) <= 32 else None
    if survey is None:  # a mistyped or withdrawn link: the same kind page as a personal link that does not work
        return _page(request, "surveys/public/unknown.html", {}, translation.get_language() or "en", status=404)
    browser_id, new = _browser_id(request)
    language = survey.default_language
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")[:2]
    if header in survey.languages:
        language = header
    draft = actions.open_draft(survey=survey, key=browser_key(survey, browser_id), language=language)
    if request.method == "GET" and draft.submitted_at is not None and not survey.one_per_browser:
        draft = actions.restart_draft(draft)  # answering again is allowed: a fresh draft
    here = reverse("survey-public", kwargs={"key": key})
    response = _answer(request, survey, draft, here, browser_id=browser_id)
    return _with_cookie(response, browser_id, new, request.is_secure())


def _answer(
    request: HttpRequest,
    survey: Survey,
    draft: Draft,
    here: str,
    *,
    invite: Invitation | None = None,
    token: str = "",
    browser_id: str = "",
) -> HttpResponse:
    language = _language(request, survey, draft)
    base = {
        "survey": survey,
        "title": text_in(survey.titles, language, survey.default_language),
        # each language named in itself, so a respondent finds their own whatever the page's language
        "languages": [(code, translation.get_language_info(code)["name_local"]) for code in survey.languages],
        "here": here,
    }
    if survey.status != Survey.Status.OPEN:
        return _page(request, "surveys/public/closed.html", base, language, status=200)
    if request.method == "POST":
        submission = request.POST.get("submission", "")
        if draft.submitted_at is not None:
            same = bool(submission) and submission == draft.submission
            template = "surveys/public/thanks.html" if same else "surveys/public/already.html"
            return _page(request, template, base, language, status=200 if same else 409)
    if (invite is not None and invite.used_at is not None) or draft.submitted_at is not None:
        return _page(request, "surveys/public/already.html", base, language)

    questions = list(questions_of(survey))
    pages = respondent.visible_pages(respondent.pages_of(questions), draft.answers)
    if not pages:
        return _page(request, "surveys/public/closed.html", base, language)
    try:
        index = min(max(int(request.GET.get("page", "1")), 1), len(pages)) - 1
    except ValueError:
        index = 0
    page = pages[index]
    errors: dict[int, str] = {}
    answers: dict[str, Any] = dict(draft.answers)
    if request.method == "POST":
        move = request.POST.get("move", "next")
        posted = {str(q.pk): respondent.parse(q, request.POST) for q in page}
        answers.update(posted)
        if move != "back":
            for q in page:
                problem = respondent.check(q, posted[str(q.pk)], language)
                if problem:
                    errors[q.pk] = problem
        if not errors:
            clean = {
                key: respondent.normalise(next(q for q in page if str(q.pk) == key), value)
                for key, value in posted.items()
            }
            if move == "back":
                clean = {
                    key: value
                    for key, value in clean.items()
                    if respondent.check(next(q for q in page if str(q.pk) == key), posted[key], language) is None
                }
            actions.save_draft(draft=draft, answers=clean)
            if move == "back":
                return redirect(f"{here}?page={max(index, 1)}")
            # the pages may change with the answers just given (display conditions)
            pages = respondent.visible_pages(respondent.pages_of(questions), draft.answers)
            position = next((i for i, p in enumerate(pages) if p[0].pk == page[0].pk), index)
            if move == "next" and position + 1 < len(pages):
                return redirect(f"{here}?page={position + 2}")
            if move == "submit" or position + 1 >= len(pages):
                return _submit(request, survey, draft, base, language, here, pages, invite, token, browser_id)
            return redirect(f"{here}?page={position + 1}")
    number = sum(len(p) for p in pages[:index])
    shown = [
        respondent.build(q, number + i, answers.get(str(q.pk), []), language, survey.default_language, errors.get(q.pk))
        for i, q in enumerate(page, start=1)
    ]
    context = {
        **base,
        "questions": shown,
        "page_number": index + 1,
        "page_count": len(pages),
        "last": index + 1 == len(pages),
        "submission": draft.submission,
        "error_count": len(errors),
        "intro": index == 0 and request.method == "GET",
    }
    return _page(request, "surveys/public/page.html", context, language, status=200)


def _submit(
    request: HttpRequest,
    survey: Survey,
    draft: Draft,
    base: dict[str, Any],
    language: str,
    here: str,
    pages: list[Any],
    invite: Invitation | None,
    token: str,
    browser_id: str,
) -> HttpResponse:
    try:
        result = actions.submit_draft(
            draft=draft,
            submission=request.POST.get("submission", ""),
            invitation=invite,
            invitation_token=token,
            browser_id=browser_id,
        )
    except DomainError as exc:
        # an answer missing on an earlier page (e.g. a draft from before a change): send them there
        return _page(
            request,
            "surveys/public/problem.html",
            {**base, "message": exc.message, "first_page": f"{here}?page=1"},
            language,
            status=422,
        )
    if result.outcome == "used":
        return _page(request, "surveys/public/already.html", base, language, status=409)
    return _page(request, "surveys/public/thanks.html", base, language)
