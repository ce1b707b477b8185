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


def test_no_template_has_an_inline_script_or_event_handler() -> None:
    """The policy blocks them: an inline ``onchange=`` or ``<script>`` body silently does nothing in the browser."""
    import re
    from pathlib import Path

    import servicecycle

    root = Path(servicecycle.__file__).parent
    handler = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S)
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", re.S)
    found = [
        str(path.relative_to(root))
        for path in root.rglob("templates/**/*.html")
        if handler.search(text := path.read_text(encoding="utf-8")) or inline_script.search(text)
    ]
    assert not found, f"inline scripts or event handlers (blocked by the CSP) in: {found}"


def test_every_page_layout_names_its_icon() -> None:
    """Without it the browser asks for /favicon.ico, a 404 and a console error on every customer page."""
    from pathlib import Path

    import servicecycle

    root = Path(servicecycle.__file__).parent
    layouts = [p for p in root.rglob("templates/**/*.html") if "<html" in p.read_text(encoding="utf-8")]
    assert len(layouts) >= 3
    missing = [
        str(p.relative_to(root))
        for p in layouts
        if p.name != "500.html"  # the bare server-error page loads nothing, on purpose
        and 'rel="icon"' not in p.read_text(encoding="utf-8")
    ]
    assert not missing, missing
