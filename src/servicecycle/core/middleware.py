from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from servicecycle.accounts.permissions import staff_of
from servicecycle.core.errors import NotFound, PermissionDenied
from servicecycle.core.views_helpers import forbidden


class DomainErrorMiddleware:
    """Turn the access helpers' domain errors raised in page views into the 403 page or a 404."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, PermissionDenied):
            return forbidden(request, exception.message)
        if isinstance(exception, NotFound):
            raise Http404(exception.message)
        return None


class OrganizationTimeZoneMiddleware:
    """A signed-in staff member's pages show dates and times in their organization's time zone, and forms read the
    times typed in it (the same zone as the business clock). Anonymous pages keep the server's zone; the public
    pages of a case or promise choose the organization's zone themselves, and the API answers in UTC offsets.
    The zone ends with the view: a streamed body (an export) is produced after it, so a stream that writes local
    times must set the zone itself (the exports write ISO times with their offset)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        staff = staff_of(getattr(request, "user", None))
        if staff is None:
            return self.get_response(request)
        with timezone.override(staff.organization.zone):
            return self.get_response(request)
