"""Staff pages of response imports: upload, column mapping, check and run with a progress bar, past imports;
and the exports of a survey's responses (CSV, XLSX, JSON)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from servicecycle.core.errors import DomainError
from servicecycle.core.views_helpers import HtmxRequest, apply_domain_error, paginate, staff_required
from servicecycle.surveys import exports, imports
from servicecycle.surveys.models import ImportJob, Survey, Wave, text_in
from servicecycle.surveys.queries import get_survey_for_user

MAX_UPLOAD = 200 * 1024 * 1024
ERRORS_PER_PAGE = 50


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("A .csv (UTF-8) or .xlsx file whose first row names its columns."),
    )
    wave = forms.ModelChoiceField(queryset=Wave.objects.none(), required=False, label=gettext_lazy("Wave"))
    mode = forms.ChoiceField(
        choices=ImportJob.Mode.choices, initial=ImportJob.Mode.CHECK_FIRST, label=gettext_lazy("Mode")
    )

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["wave"].queryset = survey.waves.order_by("starts_on", "pk")  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file may be at most 200 MB."))
        return upload


class MappingForm(forms.Form):
    """One choice per column of the file: a target of the survey, or nothing (the column is ignored)."""

    mode = forms.ChoiceField(choices=ImportJob.Mode.choices, label=gettext_lazy("Mode"))

    def __init__(self, *args: Any, job: ImportJob, targets: dict[str, imports.Target], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("(ignore this column)"))] + [(code, t.label) for code, t in targets.items()]
        for index, column in enumerate(job.columns):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                choices=choices, required=False, label=column or _("(column %(n)d without a name)") % {"n": index + 1}
            )
            self.initial.setdefault(f"col_{index}", job.mapping.get(column, ""))
        self.initial.setdefault("mode", job.mode)
        self.order_fields([*(f"col_{i}" for i in range(len(job.columns))), "mode"])

    def mapping(self, job: ImportJob) -> dict[str, str]:
        return {
            column: self.cleaned_data.get(f"col_{index}") or ""
            for index, column in enumerate(job.columns)
            if self.cleaned_data.get(f"col_{index}")
        }


def _survey(request: HttpRequest, pk: int) -> Survey:
    return get_survey_for_user(request.user, pk, write=True)


def _job(survey: Survey, job_pk: int) -> ImportJob:
    job = ImportJob.objects.select_related("created_by", "wave").filter(pk=job_pk, survey=survey).first()
    if job is None:
        raise Http404
    job.survey = survey
    return job


def _title(survey: Survey) -> str:
    return text_in(survey.titles, survey.default_language)


@staff_required("survey.design")
def import_upload(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    form = UploadForm(request.POST or None, request.FILES or None, survey=survey)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = imports.start(
                acting_user=request.user,
                survey=survey,
                file=upload,
                file_name=upload.name,
                wave=form.cleaned_data["wave"],
                mode=form.cleaned_data["mode"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("survey-import-mapping", pk=survey.pk, job_pk=job.pk)
    return render(request, "surveys/import_upload.html", {"survey": survey, "title": _title(survey), "form": form})


@staff_required("survey.design")
def import_mapping(request: HttpRequest, pk: int, job_pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    job = _job(survey, job_pk)
    if not imports.resumable(job) or job.rows_done:
        return redirect("survey-import-job", pk=survey.pk, job_pk=job.pk)
    questions, attributes = imports.survey_structure(survey)
    targets = imports.targets_of(survey, questions, attributes)
    form = MappingForm(request.POST or None, job=job, targets=targets)
    if request.method == "POST" and form.is_valid():
        try:
            imports.set_mapping(
                acting_user=request.user, job=job, mapping=form.mapping(job), mode=form.cleaned_data["mode"]
            )
            imports.queue(job, check_only=request.POST.get("action") == "check")
        except DomainError as exc:
            errors = exc.errors if hasattr(exc, "errors") else {"__all__": [exc.message]}
            for field, messages in errors.items():
                target = next((f"col_{i}" for i, c in enumerate(job.columns) if c == field), None)
                for message in messages:
                    form.add_error(target, message)
        else:
            return redirect("survey-import-job", pk=survey.pk, job_pk=job.pk)
    return render(
        request,
        "surveys/import_mapping.html",
        {"survey": survey, "title": _title(survey), "job": job, "form": form},
    )


def _progress(job: ImportJob) -> dict[str, Any]:
    running = job.status in (ImportJob.Status.QUEUED, ImportJob.Status.CHECKING, ImportJob.Status.LOADING)
    total = job.rows_total or 0
    done = job.rows_checked if job.status == ImportJob.Status.CHECKING else job.rows_done
    return {
        "running": running,
        "percent": min(100, round(100 * done / total)) if total else 0,
        "done_rows": done,
        "total": total,
    }


@staff_required("survey.design")
def import_job(request: HtmxRequest, pk: int, job_pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    job = _job(survey, job_pk)
    context = {"survey": survey, "title": _title(survey), "job": job, **_progress(job)}
    if request.htmx:
        response = render(request, "surveys/import_job.html#progress", context)
        if not context["running"]:
            response["HX-Refresh"] = "true"  # finished: show the whole page with the result and the errors
        return response
    context["errors"] = Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    context["can_run"] = imports.resumable(job) and job.status != ImportJob.Status.NEW
    return render(request, "surveys/import_job.html", context)


@require_POST
@staff_required("survey.design")
def import_run(request: HttpRequest, pk: int, job_pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    job = _job(survey, job_pk)
    try:
        imports.queue(job)
    except DomainError as exc:
        from django.contrib import messages

        messages.error(request, exc.message)
    return redirect("survey-import-job", pk=survey.pk, job_pk=job.pk)


@staff_required("survey.design")
def import_list(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    page = paginate(request, ImportJob.objects.filter(survey=survey).select_related("created_by", "wave"))
    return render(request, "surveys/import_list.html", {"survey": survey, "title": _title(survey), "page": page})


@staff_required("survey.design")  # type: ignore[arg-type]  # a streamed response is not an HttpResponse
def survey_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    survey = _survey(request, pk)
    if fmt not in exports.FORMATS:
        raise Http404
    return exports.http_response(survey, fmt, acting_user=request.user)
