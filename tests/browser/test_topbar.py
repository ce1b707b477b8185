"""The top bar in Debian's chromium: a manager sees ten sections, the language select, the notifications and their
name. At 1280 px the bar is one line in English and in Spanish (the longest labels) with the language's name in
full; at a phone's 390 px nothing runs off the page and the sections open under the Menu button."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from servicecycle.core.models import Notification
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "topbar-password-2026"


def _one_line(page: Page) -> None:
    """Every top-level item of the bar sits on the same row, and the page is no wider than the window."""
    tops = page.evaluate(
        """() => [...document.querySelectorAll('header.topbar nav > ul > li')]
                 .filter(li => li.offsetParent !== null)
                 .map(li => { const r = li.getBoundingClientRect(); return r.top + r.height / 2; })"""
    )
    assert len(tops) >= 10
    assert max(tops) - min(tops) < 12, f"the top bar wraps: item centres at {tops}"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _language_name_not_clipped(page: Page) -> None:
    select = page.locator("#lang-select")
    fits = select.evaluate(
        """el => {
             const probe = document.createElement('span');
             probe.style.font = getComputedStyle(el).font;
             probe.textContent = el.options[el.selectedIndex].text;
             document.body.appendChild(probe);
             const text = probe.getBoundingClientRect().width;
             probe.remove();
             const style = getComputedStyle(el);
             return el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) >= text - 0.5;
           }"""
    )
    assert fits, "the language select cuts its own name"


def test_the_top_bar_fits_on_a_desktop_and_on_a_phone(
    live_server: Any, page: Page, shot: Any, transactional_db: None
) -> None:
    org = factories.organization("Stonebridge Building Supplies")
    manager = factories.staff(org, "manager", email="manager@stonebridge.test", password=PASSWORD)
    manager.user.first_name, manager.user.last_name = "Priya", "Nair-Castellanos"  # a long name, as people have
    manager.user.save(update_fields=["first_name", "last_name"])
    Notification.objects.bulk_create(  # a two-digit count beside the bell
        Notification(organization_id=org.pk, recipient=manager, kind="test", title=f"Note {i}") for i in range(36)
    )

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("manager@stonebridge.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    banner = page.get_by_role("banner")
    expect(banner.get_by_role("link", name="Audit trail")).to_be_visible()
    expect(banner.get_by_role("link", name=re.compile("^Notifications"))).to_be_visible()
    expect(banner.get_by_role("button", name="Menu")).to_be_hidden()
    for language in ("en", "es"):
        if language != "en":
            page.locator("#lang-select").select_option(language)
            expect(page.locator("html")).to_have_attribute("lang", language)
        page.set_viewport_size({"width": 1280, "height": 800})
        shot(f"topbar-{language}-1280")
        _one_line(page)
        _language_name_not_clipped(page)

        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the bar overflows"
        sections = page.locator("#nav-sections")
        expect(sections).to_be_hidden()
        toggle = page.locator("button.nav-toggle")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        _language_name_not_clipped(page)
        shot(f"topbar-{language}-390")
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(sections.get_by_role("link").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot(f"topbar-{language}-390-menu")
        toggle.click()
        expect(sections).to_be_hidden()
