"""The REST API under /api/v1: personal bearer tokens (or the browser session), OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, django_auth

from servicecycle.accounts.actions import authenticate_token
from servicecycle.accounts.api import router as accounts_router
from servicecycle.catalog.api import router as catalog_router
from servicecycle.core.errors import DomainError
from servicecycle.cycles.api import router as cycles_router


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer sc_...`: a personal token made on the “API tokens” page."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        staff = authenticate_token(token)
        if staff is None:
            return None
        request.user = staff.user
        request.user._staff_cache = staff  # type: ignore[attr-defined]
        return staff


api = NinjaAPI(
    title="servicecycle API",
    version="1",
    description=(
        "Teams, staff, customers, services, offering decisions and cycles of service. "
        "Authenticate with a personal token: `Authorization: Bearer <token>` (make one under Account → API tokens). "
        "Write endpoints follow the same role rules as the pages."
    ),
    auth=[ApiTokenAuth(), django_auth],
    urls_namespace="api",
)
api.add_router("/", accounts_router)
api.add_router("/", catalog_router)
api.add_router("/", cycles_router)


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
