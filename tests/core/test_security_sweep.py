"""Security sweep over every staff page in the permission matrix.

- Escaped output: a script payload is written into every free-text column of every row (staff names,
  services, moments, customers, cases, promises, surveys...), then every page is opened: the payload must
  never come back as markup (HTML and SVG), and no page may fail.
- CSRF: every POST form on every page is sent without its token by a signed-in admin: 403 each time.
- Filters and search: SQL-shaped text in every GET form field and the usual filter names is treated as text:
  no 500 anywhere.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Value
from django.db.models.functions import Cast, Concat
from django.test import Client

from tests.core.test_permission_matrix import MATRIX, _url
from tests.factories import World

PAYLOAD = '<script>alert("sc-xss")</script>'
RAW = re.compile(r"<script>alert\(\"sc-xss\"\)")
SQLISH = "' OR 1=1; DROP TABLE cases_case; --"
# columns whose content is a code, a key or a format the application checks, not free text
NOT_FREE_TEXT = re.compile(
    r"token|hash|key|reference|slug|time_zone|zone|currency|color|colour|language|code|idempotency|fingerprint|"
    r"query|email|url|path|prefix|password|username|kind|status|state|channel|unit|mime|content_type|file|"
    r"message_id|scheme|source|number|format|lang|icon|verb|object_type|scope_type|task|worker|queue|backend"
)
OUR_APPS = {"accounts", "catalog", "cycles", "cases", "promises", "surveys", "strategy", "core"}
GET_PAGES = sorted(name for name, (method, _who) in MATRIX.items() if method == "GET")


def _free_text_fields(model: type[models.Model]) -> list[str]:
    names = []
    for field in model._meta.concrete_fields:
        if not isinstance(field, (models.CharField, models.TextField)) or field.choices or field.unique:
            continue
        if isinstance(field, (models.EmailField, models.SlugField, models.URLField, models.FilePathField)):
            continue
        if NOT_FREE_TEXT.search(field.name) or (field.max_length or 10_000) < len(PAYLOAD) + 12:
            continue
        names.append(field.name)
    return names


def _poison() -> int:
    touched = 0
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS or model._meta.proxy:
            continue
        fields = _free_text_fields(model)
        if fields:
            # the row id keeps values distinct where a group of columns must be unique
            value = Concat(Value(PAYLOAD), Cast("pk", output_field=models.CharField()))
            touched += model.objects.update(**dict.fromkeys(fields, value))
    get_user_model().objects.update(first_name=PAYLOAD)
    return touched


def _urls(world: World) -> dict[str, str]:
    return {name: _url(name, world, world.admin)[0] for name in GET_PAGES}


def _is_markup(response: Any) -> bool:
    kind = response.get("Content-Type", "")
    return "html" in kind or "svg" in kind


def test_script_payloads_in_every_text_column_come_back_escaped(world: World, client_for: Any) -> None:
    urls = _urls(world)
    assert _poison() > 0
    client = client_for("admin")
    problems, shown_escaped = [], 0
    for name, url in urls.items():
        response = client.get(url)
        if response.status_code >= 500:
            problems.append(f"{name}: {response.status_code}")
            continue
        if not _is_markup(response):
            continue
        body = response.content.decode(errors="replace")
        if _is_markup(response) and RAW.search(body):
            problems.append(f"{name}: payload rendered as markup")
        shown_escaped += "&lt;script&gt;alert(" in body
    assert problems == []
    assert shown_escaped > len(urls) // 3  # the payload really reached the pages


FORM = re.compile(r"<form\b[^>]*>", re.I)
ATTR = re.compile(r'(\w[\w-]*)\s*=\s*"([^"]*)"')


def _post_forms(html: str, page_url: str) -> list[str]:
    actions = []
    for tag in FORM.findall(html):
        attrs = dict(ATTR.findall(tag))
        if attrs.get("method", "get").lower() == "post":
            actions.append(attrs.get("action") or page_url)
    return actions


def test_every_post_form_is_refused_without_its_csrf_token(world: World) -> None:
    urls = _urls(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin.user)
    checked, problems = 0, []
    for name, url in urls.items():
        response = client.get(url)
        if response.status_code != 200 or not _is_markup(response):
            continue
        for action in set(_post_forms(response.content.decode(), url)):
            if not action.startswith("/"):
                continue
            checked += 1
            status = client.post(action, {"anything": "x"}).status_code
            if status != 403:
                problems.append(f"{name}: POST {action} without a token answered {status}")
    assert checked > 20
    assert problems == []


INPUT = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"", re.I)
COMMON_FILTERS = ["q", "search", "status", "state", "kind", "team", "service", "moment", "page", "sort", "order"]


@pytest.mark.parametrize("name", GET_PAGES)
def test_sql_shaped_filters_and_search_are_only_text(name: str, world: World, client_for: Any) -> None:
    url = _url(name, world, world.admin)[0]
    client = client_for("admin")
    page = client.get(url)
    fields = set(COMMON_FILTERS)
    if page.status_code == 200 and _is_markup(page):
        fields |= set(INPUT.findall(page.content.decode()))
    fields -= {"csrfmiddlewaretoken"}
    response = client.get(url, dict.fromkeys(fields, SQLISH))
    assert response.status_code < 500, f"{name}: {response.status_code}"
