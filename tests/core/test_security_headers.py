"""Content-Security-Policy: no inline scripts anywhere; only chart pages allow Vega's run-time compilation."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from tests.factories import World


def _directives(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_forbid_inline_and_foreign_scripts(world: World, client_for: Any) -> None:
    response = client_for("viewer").get(reverse("cycle", kwargs={"service_id": world.service.pk}))
    policy = _directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]


def test_only_chart_pages_allow_eval_for_vega(world: World, client_for: Any) -> None:
    response = client_for("viewer").get(reverse("service-detail", kwargs={"pk": world.service.pk}))
    assert _directives(response)["script-src"] == ["'self'", "'unsafe-eval'"]


def test_the_login_page_carries_the_policy_too(db: None, client: Any) -> None:
    assert "script-src 'self'" in client.get(reverse("login"))["Content-Security-Policy"]
