"""Small helpers shared by the page views: permission decorator, form error mapping, pagination."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from csp.decorators import csp_update
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page, Paginator
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from servicecycle.accounts.permissions import has, staff_of
from servicecycle.core.errors import DomainError, ValidationFailed
from servicecycle.core.records import RecordList

# Vega compiles its chart expressions at run time, so pages that draw charts allow eval for scripts
# from our own origin; every other page keeps the strict policy from settings.
allow_charts = csp_update({"script-src": ["'unsafe-eval'"]})


class HtmxRequest(HttpRequest):
    """A request that went through django-htmx's middleware (for type checking)."""

    htmx: HtmxDetails


def staff_required(
    capability: str = "view",
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed-in staff with the capability; anonymous users go to the login page, others get a 403 page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if staff_of(request.user) is None or not has(request.user, capability):
                return forbidden(request)
            return view(request, *args, **kwargs)

        wrapped.required_capability = capability  # type: ignore[attr-defined]
        return wrapped

    return decorator


def forbidden(request: HttpRequest, message: str | None = None) -> HttpResponse:
    return render(
        request,
        "403.html",
        {"message": message or _("Your role does not allow this page. Ask an administrator if you need it.")},
        status=403,
    )


def remember_language(response: HttpResponse, language: str) -> HttpResponse:
    """Keep the interface language in the cookie LocaleMiddleware reads, for a year."""
    from django.conf import settings

    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


def apply_domain_error(form: BaseForm, exc: DomainError) -> None:
    """Show an action's error on the form, on the field it names when the form has that field."""
    errors = exc.errors if isinstance(exc, ValidationFailed) else {exc.field or "__all__": [exc.message]}
    for field, messages in errors.items():
        visible = field in form.fields and not form.fields[field].widget.is_hidden
        target = field if visible else None
        for message in messages:
            form.add_error(target, message)


def paginate(request: HttpRequest, items: Any, per_page: int = 25) -> Page:
    paginator = Paginator(items, per_page)
    return paginator.get_page(request.GET.get("page"))


def page_number(value: str | None) -> int:
    """A page number from the query string: 1 when missing or not a number, at most 10,000."""
    try:
        return max(1, min(int(value or 1), 10_000))
    except ValueError:
        return 1


def record_sections(request: HttpRequest, lists: list[RecordList], per_page: int) -> list[dict[str, Any]]:
    """Each record list of a page with its own pager (``?<key>=2``; the other lists keep their pages), as
    ``templates/_record_list.html`` draws it."""
    sections = []
    for records in lists:
        number = page_number(request.GET.get(records.key))
        pages = max(1, -(-records.total // per_page))

        def link(n: int, key: str = records.key) -> str:
            params = request.GET.copy()
            params[key] = str(n)
            return "?" + params.urlencode() + f"#records-{key}"

        sections.append(
            {
                "records": records,
                "number": number,
                "pages": pages,
                "previous": link(min(number - 1, pages)) if number > 1 else "",
                "next": link(number + 1) if number < pages else "",
                "last": link(pages) if number > pages else "",  # a page past the end (an old link) leads back
            }
        )
    return sections
