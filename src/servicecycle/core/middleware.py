from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse

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
