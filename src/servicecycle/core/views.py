from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicecycle.accounts import two_step
from servicecycle.accounts.models import Customer, Team
from servicecycle.accounts.permissions import staff_of
from servicecycle.catalog.models import Service
from servicecycle.core.models import AuditEvent, Notification
from servicecycle.core.views_helpers import paginate, remember_language, staff_required
from servicecycle.cycles import wheel
from servicecycle.cycles.models import Moment
from servicecycle.cycles.queries import moment_health


@staff_required("view")
def home(request: HttpRequest) -> HttpResponse:
    """Overview of the organization: each active service's cycle as a small wheel."""
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    services = list(
        Service.objects.filter(organization=organization)
        .exclude(status=Service.Status.RETIRED)
        .select_related("owner_team")
        .order_by("name")[:12]
    )
    by_service: dict[int, list[Moment]] = defaultdict(list)
    for moment in (
        Moment.objects.filter(service__in=services).select_related("owner_team").order_by("service_id", "position")
    ):
        by_service[moment.service_id].append(moment)
    cards = []
    for service in services:
        moments = by_service[service.pk]
        cards.append(
            {
                "service": service,
                "segments": wheel.segments(moments, moment_health(moments)),
                "title_lines": wheel.title_lines(service.name, width=14),
            }
        )
    counts = {
        "services": Service.objects.filter(organization=organization).count(),
        "moments": Moment.objects.filter(service__organization=organization).count(),
        "teams": Team.objects.filter(organization=organization).count(),
        "customers": Customer.objects.filter(organization=organization).count(),
    }
    recent = AuditEvent.objects.filter(organization_id=organization.pk).order_by("-at", "-id")[:8]
    return render(
        request,
        "core/home.html",
        {"cards": cards, "counts": counts, "wheel": wheel, "recent": recent, "organization": organization},
    )


@staff_required("audit.view")
def audit_log(request: HttpRequest) -> HttpResponse:
    organization = staff_of(request.user).organization  # type: ignore[union-attr]
    events = AuditEvent.objects.filter(organization_id=organization.pk).order_by("-at", "-id")
    verb = request.GET.get("verb", "").strip()
    if verb:
        events = events.filter(verb__startswith=verb[:60])
    verbs = (
        AuditEvent.objects.filter(organization_id=organization.pk)
        .values("verb")
        .annotate(n=Count("id"))
        .order_by("verb")
    )
    return render(request, "core/audit_log.html", {"page": paginate(request, events, 50), "verb": verb, "verbs": verbs})


class LoginView(auth_views.LoginView):
    """Sign in; the interface switches to the language saved on the staff profile."""

    redirect_authenticated_user = True

    def form_valid(self, form):  # type: ignore[no-untyped-def]

        response = super().form_valid(form)
        if two_step.mark_pending_if_needed(self.request, form.get_user()):
            verify = f"{reverse('login-verify')}?{urlencode({'next': self.get_success_url()})}"
            response = HttpResponseRedirect(verify)
        staff = staff_of(form.get_user())
        if staff is None:
            messages.warning(self.request, _("This login has no staff profile in any organization yet."))
        elif staff.language:
            remember_language(response, staff.language)
        return response


RATE_LIMIT_RETRY_SECONDS = 60


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A public form or endpoint was used too often from one address: 429, and when to try again."""
    response = render(request, "429.html", {"retry_after": RATE_LIMIT_RETRY_SECONDS}, status=429)
    response["Retry-After"] = str(RATE_LIMIT_RETRY_SECONDS)
    return response


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' lockout answer: 429 with Retry-After, so clients and proxies know when to try again."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    response = render(request, "registration/locked_out.html", status=429)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


@staff_required("view")
def notification_list(request: HttpRequest) -> HttpResponse:
    """The signed-in staff member's notifications, newest first."""
    staff = staff_of(request.user)
    notes = Notification.objects.filter(recipient=staff)
    unread = notes.filter(read_at__isnull=True).count()
    return render(request, "core/notification_list.html", {"page": paginate(request, notes), "unread": unread})


@require_POST
@staff_required("view")
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark every notification of the signed-in staff member as read."""
    Notification.objects.filter(recipient=staff_of(request.user), read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notifications")
