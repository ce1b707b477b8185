"""The REST API under /api/v1: personal bearer tokens (or the browser session), OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, Throttled, ValidationError
from ninja.security import HttpBearer, django_auth
from ninja.throttling import UserRateThrottle

from servicecycle.accounts.actions import authenticate_token
from servicecycle.accounts.api import router as accounts_router
from servicecycle.cases.api import router as cases_router
from servicecycle.catalog.api import router as catalog_router
from servicecycle.core.errors import DomainError
from servicecycle.cycles.api import router as cycles_router
from servicecycle.promises.api import router as promises_router
from servicecycle.surveys.api import router as surveys_router


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer sc_...`: a personal token made on the “API tokens” page."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        staff = authenticate_token(token)
        if staff is None:
            return None
        request.user = staff.user
        request.user._staff_cache = staff  # type: ignore[attr-defined]
        return staff


class StaffRateThrottle(UserRateThrottle):
    """Requests per signed-in user (per address before sign-in), at the rate ``API_RATE_LIMIT`` sets (read on
    every request, so a deployment or a test can change it without reloading the API)."""

    def allow_request(self, request: HttpRequest) -> bool:
        if self.rate != settings.API_RATE_LIMIT:
            self.rate = settings.API_RATE_LIMIT
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


api = NinjaAPI(
    title="servicecycle API",
    version="1",
    description=(
        "Teams, staff, customers, services, offering decisions, cycles of service, cases, promises and surveys. "
        "Authenticate with a personal token: `Authorization: Bearer <token>` (make one under Account → API tokens). "
        "Write endpoints follow the same role rules as the pages."
    ),
    auth=[ApiTokenAuth(), django_auth],
    urls_namespace="api",
    throttle=[StaffRateThrottle(settings.API_RATE_LIMIT)],
)
api.add_router("/", accounts_router)
api.add_router("/", catalog_router)
api.add_router("/", cycles_router)
api.add_router("/", cases_router)
api.add_router("/", promises_router)
api.add_router("/", surveys_router)


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    """429 with Retry-After (whole seconds), so clients know when to try again."""
    wait = max(1, math.ceil(exc.wait or 1))
    response = api.create_response(request, {"detail": f"Too many requests: try again in {wait} seconds."}, status=429)
    response["Retry-After"] = str(wait)
    return response


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    payload: dict[str, Any] = {"detail": exc.message}
    if exc.field:
        payload["field"] = exc.field
    errors = getattr(exc, "errors", None)
    if errors:
        payload["errors"] = errors
    return api.create_response(request, payload, status=exc.status)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Authentication required: send a valid bearer token."}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": "Invalid input.", "errors": exc.errors}, status=422)
