from __future__ import annotations

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicecycle.accounts import actions, customer_history
from servicecycle.accounts.forms import (
    WEEKDAYS,
    CalendarDateForm,
    CustomerEraseForm,
    CustomerForm,
    OrganizationForm,
    StaffCreateForm,
    StaffEditForm,
    TeamForm,
    TokenForm,
    WorkingHoursForm,
)
from servicecycle.accounts.models import ApiToken, Customer, Staff, Team
from servicecycle.accounts.permissions import staff_of
from servicecycle.core import audit
from servicecycle.core.errors import DomainError
from servicecycle.core.views_helpers import (
    apply_domain_error,
    forbidden,
    page_number,
    paginate,
    record_sections,
    remember_language,
    staff_required,
)

# Organization -------------------------------------------------------------------------------------------


@staff_required("view")
def organization_detail(request: HttpRequest) -> HttpResponse:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    hours = list(zip(WEEKDAYS, WorkingHoursForm.day_texts(organization), strict=True))
    return render(
        request,
        "accounts/organization_detail.html",
        {
            "organization": organization,
            "hours": hours,
            "dates": organization.calendar_dates.all(),
            "timeline": audit.timeline(organization),
        },
    )


@staff_required("organization.manage")
def organization_edit(request: HttpRequest) -> HttpResponse:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    form = OrganizationForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_organization(
                acting_user=request.user,
                organization=organization,
                **{f: form.cleaned_data[f] for f in actions.ORGANIZATION_FIELDS},
            )
        except DomainError as exc:
            organization.refresh_from_db()
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Organization profile saved."))
            return redirect("organization")
    return render(
        request,
        "form_page.html",
        {"form": form, "title": _("Edit organization profile"), "back": "organization"},
    )


@staff_required("organization.manage")
def working_hours_edit(request: HttpRequest) -> HttpResponse:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    initial = {f"day_{d}": text for d, text in enumerate(WorkingHoursForm.day_texts(organization))}
    form = WorkingHoursForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        intervals = form.intervals()
        if form.is_valid():  # intervals() adds field errors for text it cannot read
            try:
                actions.set_working_hours(acting_user=request.user, organization=organization, intervals=intervals)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Working hours saved."))
                return redirect("organization")
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("Working hours"),
            "back": "organization",
            "intro": _("Times are local to the organization's time zone."),
        },
    )


@staff_required("organization.manage")
def calendar_date_add(request: HttpRequest) -> HttpResponse:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    form = CalendarDateForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "replace"}
        try:
            actions.set_calendar_date(acting_user=request.user, organization=organization, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Date saved."))
            return redirect("organization")
    return render(
        request,
        "form_page.html",
        {"form": form, "title": _("Closure or working date"), "back": "organization"},
    )


@require_POST
@staff_required("organization.manage")
def calendar_date_remove(request: HttpRequest, date: str) -> HttpResponse:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    entry = get_object_or_404(organization.calendar_dates, date=date)
    actions.remove_calendar_date(acting_user=request.user, organization=organization, date=entry.date)
    messages.success(request, _("Date removed."))
    return redirect("organization")


# Teams --------------------------------------------------------------------------------------------------


@staff_required("view")
def team_list(request: HttpRequest) -> HttpResponse:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    teams = Team.objects.filter(organization=organization).annotate(
        member_count=Count("members", distinct=True), service_count=Count("owned_services", distinct=True)
    )
    return render(request, "accounts/team_list.html", {"teams": teams})


def _team(request: HttpRequest, pk: int) -> Team:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    return get_object_or_404(Team, pk=pk, organization=organization)


@staff_required("view")
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = _team(request, pk)
    return render(
        request,
        "accounts/team_detail.html",
        {
            "team": team,
            "members": team.members.select_related("user"),
            "services": team.owned_services.all(),
            "moments": team.owned_moments.select_related("service").order_by("service__name", "position"),
            "timeline": audit.timeline(team),
        },
    )


@staff_required("team.manage")
def team_create(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = actions.create_team(
                acting_user=request.user, **{f: form.cleaned_data[f] for f in actions.TEAM_FIELDS}
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Team created."))
            return redirect("team-detail", pk=team.pk)
    return render(request, "form_page.html", {"form": form, "title": _("New team"), "back": "team-list"})


@staff_required("team.manage")
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = _team(request, pk)
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_team(
                acting_user=request.user,
                team=_team(request, pk),
                **{f: form.cleaned_data[f] for f in actions.TEAM_FIELDS},
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Team saved."))
            return redirect("team-detail", pk=team.pk)
    return render(request, "form_page.html", {"form": form, "title": _("Edit team"), "back": "team-list"})


@require_POST
@staff_required("team.manage")
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    team = _team(request, pk)
    try:
        actions.delete_team(acting_user=request.user, team=team)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("team-detail", pk=pk)
    messages.success(request, _("Team deleted."))
    return redirect("team-list")


# Staff --------------------------------------------------------------------------------------------------


@staff_required("view")
def staff_list(request: HttpRequest) -> HttpResponse:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    q = request.GET.get("q", "").strip()
    people = Staff.objects.filter(organization=organization).select_related("user").prefetch_related("teams")
    if q:
        people = people.filter(
            Q(user__first_name__icontains=q) | Q(user__last_name__icontains=q) | Q(user__email__icontains=q)
        )
    role = request.GET.get("role", "")
    if role:
        people = people.filter(role=role)
    return render(request, "accounts/staff_list.html", {"page": paginate(request, people), "q": q, "role": role})


@staff_required("staff.manage")
def staff_create(request: HttpRequest) -> HttpResponse:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    form = StaffCreateForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.create_staff(
                acting_user=request.user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=data["role"],
                job_title=data["job_title"],
                team_ids=[t.pk for t in data["teams"]],
                password=data["password"] or None,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Staff member added."))
            return redirect("staff-list")
    return render(request, "form_page.html", {"form": form, "title": _("Add a staff member"), "back": "staff-list"})


@staff_required("staff.manage")
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    person = get_object_or_404(Staff.objects.select_related("user"), pk=pk, organization=organization)
    initial = {
        "first_name": person.user.first_name,
        "last_name": person.user.last_name,
        "job_title": person.job_title,
        "role": person.role,
        "teams": list(person.teams.all()),
        "is_active": person.user.is_active,
    }
    form = StaffEditForm(request.POST or None, initial=initial, organization=organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_staff(
                acting_user=request.user,
                staff=person,
                role=data["role"],
                team_ids=[t.pk for t in data["teams"]],
                job_title=data["job_title"],
                is_active=data["is_active"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Staff member saved."))
            return redirect("staff-list")
    return render(
        request,
        "form_page.html",
        {"form": form, "title": str(person), "back": "staff-list", "timeline": audit.timeline(person)},
    )


# Customers ----------------------------------------------------------------------------------------------

CUSTOMER_SORTS = {
    "name": ("name", "id"),
    "-created": ("-created_at", "-id"),
    "language": ("preferred_language", "name"),
}


@staff_required("view")
def customer_list(request: HttpRequest) -> HttpResponse:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    q = request.GET.get("q", "").strip()
    customers = Customer.objects.filter(organization=organization)
    if q:
        customers = customers.filter(
            Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q) | Q(company__icontains=q)
        )
    sort = request.GET.get("sort", "name")
    customers = customers.order_by(*CUSTOMER_SORTS.get(sort, CUSTOMER_SORTS["name"]))
    return render(request, "accounts/customer_list.html", {"page": paginate(request, customers), "q": q, "sort": sort})


def _customer(request: HttpRequest, pk: int) -> Customer:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    return get_object_or_404(Customer, pk=pk, organization=organization)


HISTORY_PER_PAGE = 10


@staff_required("view")
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    lists = customer_history.history(
        customer,
        request.user,
        pages={name: page_number(request.GET.get(name)) for name in customer_history.names()},
        per_page=HISTORY_PER_PAGE,
    )
    return render(
        request,
        "accounts/customer_detail.html",
        {
            "customer": customer,
            "sections": record_sections(request, lists, HISTORY_PER_PAGE),
            "timeline": audit.timeline(customer),
        },
    )


@staff_required("customer.personal_data")
def customer_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything held about the customer as a JSON download (their right of access)."""
    customer = _customer(request, pk)
    data = actions.export_customer_data(acting_user=request.user, customer=customer)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}-personal-data.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required("customer.personal_data")
def customer_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Erase the customer's personal data on their request, after a confirmation."""
    customer = _customer(request, pk)
    form = CustomerEraseForm(request.POST if request.method == "POST" else None, initial={"version": customer.version})
    if request.method == "POST" and form.is_valid():
        try:
            actions.erase_customer(
                acting_user=request.user, customer=customer, expected_version=form.cleaned_data.get("version")
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The customer's personal data was erased. Case statistics were kept."))
            return redirect("customer-detail", pk=pk)
    return render(
        request,
        "accounts/customer_erase.html",
        {"customer": customer, "form": form},
        status=400 if form.errors else 200,
    )


@staff_required("customer.manage")
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = actions.create_customer(
                acting_user=request.user, **{f: form.cleaned_data[f] for f in actions.CUSTOMER_FIELDS}
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Customer added."))
            return redirect("customer-detail", pk=customer.pk)
    return render(request, "form_page.html", {"form": form, "title": _("New customer"), "back": "customer-list"})


@staff_required("customer.manage")
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    form = CustomerForm(request.POST or None, instance=customer, initial={"version": customer.version})
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_customer(
                acting_user=request.user,
                customer=_customer(request, pk),
                expected_version=form.cleaned_data.get("version"),
                **{f: form.cleaned_data[f] for f in actions.CUSTOMER_FIELDS},
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Customer saved."))
            return redirect("customer-detail", pk=pk)
    return render(request, "form_page.html", {"form": form, "title": _("Edit customer"), "back": "customer-list"})


# API tokens and language --------------------------------------------------------------------------------


SHOWN_ONCE_SESSION_KEY = "new_api_token"


@staff_required("view")
def token_list(request: HttpRequest) -> HttpResponse:
    me = staff_of(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _token, raw = actions.create_api_token(acting_user=request.user, name=form.cleaned_data["name"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            # shown once, on the page the redirect lands on: reloading that page creates no second token
            request.session[SHOWN_ONCE_SESSION_KEY] = raw
            return redirect("token-list")
    new_token = request.session.pop(SHOWN_ONCE_SESSION_KEY, None) if request.method == "GET" else None
    tokens = ApiToken.objects.filter(staff=me)
    return render(request, "accounts/token_list.html", {"tokens": tokens, "form": form, "new_token": new_token})


@require_POST
@staff_required("view")
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    me = staff_of(request.user)
    token = ApiToken.objects.filter(pk=pk, staff=me).first()
    if token is None:
        raise Http404
    actions.revoke_api_token(acting_user=request.user, token=token)
    messages.success(request, _("Token revoked: it no longer opens the API."))
    return redirect("token-list")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language (cookie for everyone, remembered on the profile when signed in)."""
    from django.conf import settings

    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return forbidden(request, _("Unknown language."))
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    if request.user.is_authenticated:
        actions.set_own_language(acting_user=request.user, language=language)
    return remember_language(redirect(next_url), language)
