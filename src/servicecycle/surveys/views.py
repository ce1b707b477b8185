"""Staff pages of surveys: the list, the builder (questions, attributes, waves, languages), links, results."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicecycle.accounts.permissions import has, staff_of
from servicecycle.analytics import charts
from servicecycle.catalog.models import Service
from servicecycle.core import audit
from servicecycle.core.errors import DomainError
from servicecycle.core.notify import absolute_url
from servicecycle.core.views_helpers import HtmxRequest, allow_charts, apply_domain_error, paginate, staff_required
from servicecycle.cycles.models import Moment
from servicecycle.surveys import actions
from servicecycle.surveys.actions.design import ATTRIBUTE_KINDS
from servicecycle.surveys.actions.invitations import invitation_summary
from servicecycle.surveys.forms import (
    AttributeForm,
    InvitationForm,
    PublicLinkForm,
    QuestionForm,
    SurveyCreateForm,
    SurveyEditForm,
    WaveForm,
    attribute_initial,
    initial_texts,
    question_initial,
    texts_from,
)
from servicecycle.surveys.models import Attribute, Question, Response, Survey, text_in
from servicecycle.surveys.queries import (
    completeness,
    get_response_for_user,
    get_survey_for_user,
    invitation_counts,
    questions_of,
    readiness,
    response_lines,
    surveys_of,
)
from servicecycle.surveys.results import Filters, counted_comments, servqual_summary
from servicecycle.surveys.results import survey_results as figures_of


def _question(survey: Survey, pk: int) -> Question:
    question = Question.objects.filter(pk=pk, survey=survey).first()
    if question is None:
        raise Http404
    question.survey = survey
    return question


def _attribute(survey: Survey, question_pk: int, pk: int) -> Attribute:
    attribute = Attribute.objects.select_related("question").filter(pk=pk, question_id=question_pk).first()
    if attribute is None or attribute.question.survey_id != survey.pk:
        raise Http404
    attribute.question.survey = survey
    return attribute


@staff_required("survey.view")
def survey_list(request: HtmxRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    page = paginate(request, surveys_of(request.user, status))
    context = {"page": page, "status": status, "statuses": Survey.Status.choices}
    if request.htmx:
        return render(request, "surveys/survey_list.html#results", context)
    return render(request, "surveys/survey_list.html", context)


@staff_required("survey.design")
def survey_create(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request.user)
    assert staff is not None
    form = SurveyCreateForm(request.POST or None, organization=staff.organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        languages = data["languages"] or [data["default_language"]]
        service_id = data["service"].pk if data.get("service") else None
        try:
            if data["start"] == "blank":
                survey = actions.create_survey(
                    acting_user=request.user,
                    titles={data["default_language"]: data.get("title") or ""},
                    languages=languages,
                    default_language=data["default_language"],
                    service_id=service_id,
                )
            else:
                survey = actions.create_from_blueprint(
                    acting_user=request.user,
                    blueprint=data["start"],
                    languages=languages,
                    default_language=data["default_language"],
                    service_id=service_id,
                )
                if data.get("title"):
                    survey = actions.update_survey(
                        acting_user=request.user,
                        survey=survey,
                        titles={**survey.titles, data["default_language"]: data["title"]},
                        languages=survey.languages,
                        default_language=survey.default_language,
                        service_id=service_id,
                    )
        except DomainError as exc:
            apply_domain_error(form, exc)
            if exc.field == "titles":
                form.add_error("title", exc.message)
        else:
            messages.success(request, _("Survey created as a draft."))
            return redirect("survey-detail", pk=survey.pk)
    return render(request, "surveys/survey_form.html", {"form": form, "title": _("New survey")})


@staff_required("survey.view")
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_survey_for_user(request.user, pk)
    questions = list(questions_of(survey))
    by_id = {q.pk: q for q in questions}
    for q in questions:
        q.condition_source = by_id.get(q.condition["question"]) if q.condition else None  # type: ignore[attr-defined]
        q.text = text_in(q.texts, survey.default_language)  # type: ignore[attr-defined]
        q.has_attributes = q.kind in ATTRIBUTE_KINDS  # type: ignore[attr-defined]
        q.option_labels = [text_in(c["texts"], survey.default_language) for c in q.choices]  # type: ignore[attr-defined]
    can_design = has(request.user, "survey.design")
    draft = survey.status == Survey.Status.DRAFT
    return render(
        request,
        "surveys/survey_detail.html",
        {
            "survey": survey,
            "title": text_in(survey.titles, survey.default_language),
            "questions": questions,
            "completeness": completeness(survey, questions),
            "readiness": readiness(survey, questions),
            "waves": list(survey.waves.order_by("starts_on", "pk")),
            "invitations": invitation_counts(survey),
            "invite_summary": invitation_summary(survey),
            "public_url": absolute_url(reverse("survey-public", kwargs={"key": survey.public_key}))
            if survey.public_key
            else "",
            "public_form": PublicLinkForm(
                initial={"enabled": bool(survey.public_key), "one_per_browser": survey.one_per_browser}
            ),
            "can_design": can_design,
            "can_edit": can_design and draft,
            "timeline": audit.timeline(survey),
        },
    )


@staff_required("survey.design")
def survey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_survey_for_user(request.user, pk, write=True)
    initial = {
        "version": survey.version,
        "languages": survey.languages,
        "default_language": survey.default_language,
        "service": survey.service_id,
        **initial_texts("title", survey.titles),
    }
    form = SurveyEditForm(request.POST or None, survey=survey, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        languages = data["languages"]
        try:
            actions.update_survey(
                acting_user=request.user,
                survey=survey,
                titles={k: v for k, v in texts_from(data, "title", languages).items() if v},
                languages=languages,
                default_language=data["default_language"],
                service_id=data["service"].pk if data.get("service") else None,
                expected_version=data.get("version"),
            )
        except DomainError as exc:
            if exc.field == "titles":
                form.add_error(f"title_{data['default_language']}", exc.message)
            else:
                apply_domain_error(form, exc)
        else:
            messages.success(request, _("Survey saved."))
            return redirect("survey-detail", pk=survey.pk)
    return render(
        request,
        "surveys/survey_form.html",
        {"form": form, "survey": survey, "title": _("Edit survey"), "back_url": reverse("survey-detail", args=[pk])},
    )


@require_POST
@staff_required("survey.design")
def survey_status(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_survey_for_user(request.user, pk, write=True)
    status = request.POST.get("status", "")
    try:
        actions.set_survey_status(acting_user=request.user, survey=survey, status=status)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        labels: dict[str, str] = {
            Survey.Status.OPEN: _("The survey is open: its links now accept answers."),
            Survey.Status.CLOSED: _("The survey is closed: its links no longer accept answers."),
        }
        messages.success(request, labels.get(status, _("Status changed.")))
    return redirect("survey-detail", pk=survey.pk)


@require_POST
@staff_required("survey.design")
def survey_public_link(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_survey_for_user(request.user, pk, write=True)
    form = PublicLinkForm(request.POST)
    form.is_valid()
    actions.set_public_link(
        acting_user=request.user,
        survey=survey,
        enabled=form.cleaned_data.get("enabled", False),
        one_per_browser=form.cleaned_data.get("one_per_browser", False),
    )
    messages.success(request, _("Public link settings saved."))
    return redirect(reverse("survey-detail", args=[survey.pk]) + "#links")


def _question_form_page(request: HttpRequest, survey: Survey, form: QuestionForm, **extra: Any) -> HttpResponse:
    return render(
        request,
        "surveys/question_form.html",
        {
            "form": form,
            "survey": survey,
            "kinds": Question.Kind.choices,
            "back_url": reverse("survey-detail", args=[survey.pk]),
            **extra,
        },
    )


@staff_required("survey.design")
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_survey_for_user(request.user, pk, write=True)
    questions = list(survey.questions.order_by("position"))
    form = QuestionForm(
        request.POST or None,
        survey=survey,
        questions=questions,
        initial={"kind": request.GET.get("kind", Question.Kind.NPS), "required": True},
    )
    if request.method == "POST" and form.is_valid():
        try:
            question = actions.add_question(
                acting_user=request.user, survey=survey, kind=form.question_kind, **form.action_kwargs()
            )
        except DomainError as exc:
            _apply_question_error(form, exc, survey)
        else:
            messages.success(request, _("Question added."))
            if question.kind in ATTRIBUTE_KINDS:
                return redirect("attribute-add", pk=survey.pk, question_pk=question.pk)
            return redirect(reverse("survey-detail", args=[survey.pk]) + f"#question-{question.pk}")
    return _question_form_page(request, survey, form, title=_("New question"))


def _apply_question_error(form: QuestionForm, exc: DomainError, survey: Survey) -> None:
    field = exc.field or ""
    if field == "texts":
        form.add_error(f"text_{survey.default_language}", exc.message)
    elif field == "choices":
        form.add_error(f"choices_{survey.default_language}", exc.message)
    elif field == "condition":
        form.add_error("condition_question", exc.message)
    else:
        apply_domain_error(form, exc)


@staff_required("survey.design")
def question_edit(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    survey = get_survey_for_user(request.user, pk, write=True)
    question = _question(survey, question_pk)
    questions = list(survey.questions.order_by("position"))
    form = QuestionForm(
        request.POST or None, survey=survey, questions=questions, question=question, initial=question_initial(question)
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_question(
                acting_user=request.user,
                question=question,
                expected_version=form.cleaned_data.get("version"),
                **form.action_kwargs(),
            )
        except DomainError as exc:
            _apply_question_error(form, exc, survey)
        else:
            messages.success(request, _("Question saved."))
            return redirect(reverse("survey-detail", args=[survey.pk]) + f"#question-{question.pk}")
    return _question_form_page(
        request, survey, form, question=question, title=_("Question %(n)d") % {"n": question.position}
    )


@require_POST
@staff_required("survey.design")
def question_remove(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    survey = get_survey_for_user(request.user, pk, write=True)
    question = _question(survey, question_pk)
    try:
        actions.remove_question(acting_user=request.user, question=question)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Question %(n)d removed.") % {"n": question.position})
    return redirect("survey-detail", pk=survey.pk)


@require_POST
@staff_required("survey.design")
def question_move(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    """Move a question one place up or down (buttons, so the order can be changed from the keyboard)."""
    survey = get_survey_for_user(request.user, pk, write=True)
    question = _question(survey, question_pk)
    try:
        actions.move_question(acting_user=request.user, question=question, direction=request.POST.get("direction", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("survey-detail", args=[survey.pk]) + f"#question-{question.pk}")


@require_POST
@staff_required("survey.design")
def question_reorder(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole new order as repeated ``question`` fields."""
    survey = get_survey_for_user(request.user, pk, write=True)
    try:
        ids = [int(v) for v in request.POST.getlist("question")]
        actions.reorder_questions(acting_user=request.user, survey=survey, question_ids=ids)
    except (ValueError, DomainError) as exc:
        messages.error(request, exc.message if isinstance(exc, DomainError) else _("The new order could not be read."))
    return redirect("survey-detail", pk=survey.pk)


def _attribute_page(
    request: HttpRequest, survey: Survey, question: Question, form: AttributeForm, title: str
) -> HttpResponse:
    return render(
        request,
        "surveys/attribute_form.html",
        {
            "form": form,
            "survey": survey,
            "question": question,
            "question_text": text_in(question.texts, survey.default_language),
            "attributes": list(question.attributes.order_by("position")),
            "title": title,
            "back_url": reverse("survey-detail", args=[survey.pk]) + f"#question-{question.pk}",
        },
    )


def _save_attribute(request: HttpRequest, survey: Survey, form: AttributeForm, save: Callable[..., object]) -> bool:
    """Run ``save`` with the form's values; False with the error put on the form (the texts on the default
    language's field)."""
    try:
        save(acting_user=request.user, **form.action_kwargs())
    except DomainError as exc:
        if exc.field == "texts":
            form.add_error(f"text_{survey.default_language}", exc.message)
        else:
            apply_domain_error(form, exc)
        return False
    return True


@staff_required("survey.design")
def attribute_add(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    survey = get_survey_for_user(request.user, pk, write=True)
    question = _question(survey, question_pk)
    form = AttributeForm(request.POST or None, survey=survey)
    save = partial(actions.add_attribute, question=question)
    if request.method == "POST" and form.is_valid() and _save_attribute(request, survey, form, save):
        messages.success(request, _("Attribute added."))
        if request.POST.get("another"):
            return redirect("attribute-add", pk=survey.pk, question_pk=question.pk)
        return redirect(reverse("survey-detail", args=[survey.pk]) + f"#question-{question.pk}")
    return _attribute_page(request, survey, question, form, _("New attribute"))


@staff_required("survey.design")
def attribute_edit(request: HttpRequest, pk: int, question_pk: int, attribute_pk: int) -> HttpResponse:
    survey = get_survey_for_user(request.user, pk, write=True)
    attribute = _attribute(survey, question_pk, attribute_pk)
    form = AttributeForm(request.POST or None, survey=survey, initial=attribute_initial(attribute))
    save = partial(actions.update_attribute, attribute=attribute)
    if request.method == "POST" and form.is_valid() and _save_attribute(request, survey, form, save):
        messages.success(request, _("Attribute saved."))
        return redirect(reverse("survey-detail", args=[survey.pk]) + f"#question-{question_pk}")
    return _attribute_page(request, survey, attribute.question, form, _("Attribute %(n)d") % {"n": attribute.position})


@require_POST
@staff_required("survey.design")
def attribute_remove(request: HttpRequest, pk: int, question_pk: int, attribute_pk: int) -> HttpResponse:
    survey = get_survey_for_user(request.user, pk, write=True)
    attribute = _attribute(survey, question_pk, attribute_pk)
    try:
        actions.remove_attribute(acting_user=request.user, attribute=attribute)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Attribute removed."))
    return redirect(reverse("survey-detail", args=[survey.pk]) + f"#question-{question_pk}")


@staff_required("survey.design")
def wave_add(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_survey_for_user(request.user, pk, write=True)
    form = WaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.add_wave(
                acting_user=request.user,
                survey=survey,
                name=data.get("name") or "",
                starts_on=data["starts_on"],
                ends_on=data.get("ends_on"),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Wave added."))
            return redirect(reverse("survey-detail", args=[survey.pk]) + "#waves")
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("New wave of “%(survey)s”") % {"survey": text_in(survey.titles, survey.default_language)},
            "intro": _("A wave is one run of the survey (a quarter, a campaign); results are kept apart and trended."),
            "back_url": reverse("survey-detail", args=[survey.pk]),
        },
    )


@staff_required("survey.design")
def invitation_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A personal single-use link, shown once (only its hash is kept)."""
    survey = get_survey_for_user(request.user, pk, write=True)
    form = InvitationForm(request.POST or None, survey=survey)
    link = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _invitation, token = actions.create_invitation(
                acting_user=request.user,
                survey=survey,
                wave_id=data["wave"].pk if data.get("wave") else None,
                customer_id=data["customer"].pk if data.get("customer") else None,
                email=data.get("email") or "",
                language=data.get("language") or "",
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            link = absolute_url(reverse("survey-invitation", kwargs={"token": token}))
            form = InvitationForm(survey=survey)
    return render(
        request,
        "surveys/invitation_form.html",
        {
            "form": form,
            "survey": survey,
            "link": link,
            "title": _("Personal link"),
            "back_url": reverse("survey-detail", args=[survey.pk]),
        },
    )


def _pick(queryset: Any, raw: str | None) -> Any:
    try:
        return queryset.filter(pk=int(raw)).first() if raw else None
    except (TypeError, ValueError):
        return None


@staff_required("survey.view")
def survey_response(request: HttpRequest, pk: int, response_pk: int) -> HttpResponse:
    """One response with every answer: what a customer said, read in full (three queries after the sign-in)."""
    survey = get_survey_for_user(request.user, pk)
    response = get_response_for_user(request.user, survey, response_pk)
    language = translation.get_language() or survey.default_language
    return render(
        request,
        "surveys/response.html",
        {
            "survey": survey,
            "survey_title": text_in(survey.titles, language, survey.default_language),
            "response": response,
            "lines": response_lines(response, language),
        },
    )


@allow_charts
@staff_required("survey.view")
def survey_results(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_survey_for_user(request.user, pk)
    language = translation.get_language() or survey.default_language
    waves = list(survey.waves.order_by("starts_on", "pk"))
    services = list(Service.objects.filter(organization_id=survey.organization_id).order_by("name"))
    moments = list(
        Moment.objects.filter(service__organization_id=survey.organization_id)
        .select_related("service")
        .order_by("service__name", "position")
    )
    channel = request.GET.get("channel", "")
    filters = Filters(
        wave=next((w for w in waves if str(w.pk) == request.GET.get("wave")), None),
        service=next((s for s in services if str(s.pk) == request.GET.get("service")), None),
        moment=next((m for m in moments if str(m.pk) == request.GET.get("moment")), None),
        channel=channel if channel in Response.Channel.values else "",
    )
    questions = list(questions_of(survey))
    results = figures_of(survey, questions, filters, language)
    charts_out: list[dict[str, Any]] = []
    for question, series in results.trend:
        if question.kind == Question.Kind.NPS and series:
            charts_out.append(
                {
                    "title": _("NPS by wave: question %(n)d") % {"n": question.position},
                    "spec": charts.nps_trend_chart([(name, s.detail) for name, s in series], title=""),
                }
            )
    for r in results.questions:
        if r.ipa is not None:
            charts_out.append(
                {
                    "title": _("Importance and performance: question %(n)d") % {"n": r.question.position},
                    "spec": charts.ipa_chart(r.ipa, title=""),
                }
            )
            if any(a.gap is not None for a in r.ipa.attributes):
                charts_out.append(
                    {
                        "title": _("Our performance minus %(name)s's: question %(n)d")
                        % {"name": r.question.competitor_name, "n": r.question.position},
                        "spec": charts.competitor_gap_chart(r.ipa, title=""),
                    }
                )
    for index, chart in enumerate(charts_out, start=1):
        chart["id"] = f"chart-spec-{index}"
    text_questions = [q for q in questions if q.kind == Question.Kind.TEXT]
    comment_question = _pick(survey.questions.filter(kind=Question.Kind.TEXT), request.GET.get("comment_question"))
    search = request.GET.get("q", "").strip()[:100]
    page = paginate(
        request,
        counted_comments(survey, filters, comment_question.pk if comment_question else None, search),
        per_page=20,
    )
    context = {
        "survey": survey,
        "title": text_in(survey.titles, language, survey.default_language),
        "results": results,
        "servqual": servqual_summary(results),
        "charts": charts_out,
        "waves": waves,
        "services": services,
        "moments": moments,
        "channels": Response.Channel.choices,
        "filters": filters,
        "text_questions": text_questions,
        "comment_question": comment_question,
        "q": search,
        "page": page,
    }
    if getattr(request, "htmx", False) and request.GET.get("part") == "comments":
        return render(request, "surveys/results.html#comments", context)
    return render(request, "surveys/results.html", context)
