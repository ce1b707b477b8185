"""Staff pages at a phone's width in Debian's chromium: the demo manager opens each page at 390 x 844 and the
document is never wider than the window. Wide parts wrap (filter rows, sub-menus, rows of buttons) or scroll inside
their own box (tables in ``.table-wrap``); the page itself never scrolls sideways. A screenshot of every page goes to
var/screenshots/phone-<name>.png, and two pages are shot at 1280 px (desktop-<name>.png) to compare the desktop."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Count
from playwright.sync_api import Page, expect

from servicecycle import demo
from servicecycle.accounts.models import Customer, Organization
from servicecycle.catalog.models import Service
from servicecycle.demo.data import DELIVERY_SURVEY, DEMO_PASSWORD
from servicecycle.surveys.models import Survey

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}

# the widest element that reaches past the window's right edge, to name it in a failure message
WIDEST_OVERFLOW = """() => {
  const limit = document.documentElement.clientWidth;
  let worst = null, right = limit;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= right) continue;
    // inside a box that scrolls or clips it: not the page's overflow (unless positioned out of that box)
    let clipped = false, free = getComputedStyle(el).position === 'absolute';
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (free && s.position !== 'static') free = false;
      if (free) continue;
      if (s.overflowX !== 'visible') { clipped = true; break; }
    }
    if (clipped) continue;
    worst = el; right = r.right;
  }
  if (!worst) return '';
  const names = typeof worst.className === 'string' ? worst.className.trim().split(/\\s+/).filter(Boolean) : [];
  const cls = names.map(n => '.' + n).join('');
  return `${worst.tagName.toLowerCase()}${cls} reaches ${Math.round(right)} px`;
}"""


def _busiest_customer(organization: Organization) -> int:
    """The demo customer with the most cases: their page has every history list, and a long email address."""
    busiest = (
        Customer.objects.filter(organization=organization)
        .annotate(n=Count("cases"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    assert busiest is not None, "the demo has no customers"
    return busiest


def _pages(organization: Organization) -> list[tuple[str, str]]:
    delivery = Service.objects.get(organization=organization, name=DELIVERY_SURVEY["service"])
    survey = Survey.objects.filter(organization=organization, service=delivery).order_by("pk").first()
    assert survey is not None, "the demo has no delivery survey"
    return [
        ("dashboard", "/"),
        ("cases-inbox", "/cases/"),
        ("people", "/people/"),
        ("people-training", "/people/training/"),
        ("people-scorecards", "/people/scorecards/"),
        ("survey", f"/surveys/{survey.pk}/"),
        ("survey-results", f"/surveys/{survey.pk}/results/"),
        ("survey-response", f"/surveys/{survey.pk}/responses/{survey.responses.order_by('pk').first().pk}/"),
        ("promises", "/promises/"),
        ("promise-requests", "/promises/requests/"),
        ("service-cycle", f"/services/{delivery.pk}/cycle/"),
        ("critical-moments", "/moments/critical/"),
        ("customers", "/customers/"),
        ("customer", f"/customers/{_busiest_customer(organization)}/"),
        ("audit", "/audit/"),
    ]


def test_staff_pages_do_not_scroll_sideways_on_a_phone(
    live_server: Any, page: Page, shot: Any, transactional_db: None
) -> None:
    logins = demo.load()
    organization = Organization.objects.get(slug=DELIVERY_SURVEY["organization"])
    manager_email = next(email for org, email, role in logins if org == organization.name and role == "manager")

    page.set_default_timeout(60_000)  # a shared, busy machine: the first request loads every URL module
    page.set_default_navigation_timeout(120_000)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(manager_email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Menu")).to_be_visible()

    pages = _pages(organization)
    too_wide = []
    for name, path in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.ok, f"{name} ({path}) answered {response and response.status}"
        page.wait_for_load_state("load")
        for chart in page.locator(".vega-chart").all():  # drawn after the page loads; measure them drawn
            expect(chart.locator("svg")).to_be_attached()
        shot(f"phone-{name}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide.append(f"{name} ({path}) is {width} px wide: {page.evaluate(WIDEST_OVERFLOW)}")
    assert not too_wide, "pages scroll sideways at 390 px:\n" + "\n".join(too_wide)

    page.set_viewport_size({"width": 1280, "height": 900})  # the desktop keeps its layout; shots for review
    for name, path in pages:
        if name not in ("cases-inbox", "survey"):
            continue
        page.goto(f"{live_server.url}{path}")
        shot(f"desktop-{name}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name} at 1280 px"
