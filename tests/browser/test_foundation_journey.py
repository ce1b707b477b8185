"""A service manager's first journey, in Debian's chromium: sign in, create a service, map six moments,
reorder (drag and drop, and the keyboard alternative), look at the wheel, switch to Russian."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from servicecycle.cycles.models import Moment
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "journey-password-2026"
MOMENTS = ["Finds us online", "Calls for advice", "Gets a quote", "Pays", "Truck arrives", "Signs for goods"]


def _order(service_id: int) -> list[str]:
    return list(Moment.objects.filter(service_id=service_id).order_by("position").values_list("name", flat=True))


def test_manager_maps_a_cycle_and_switches_to_russian(
    live_server: Any, page: Page, shot: Any, transactional_db: None
) -> None:
    org = factories.organization("Brickworks")
    admin = factories.staff(org, "admin")
    team = factories.team(admin, "Yard crew", "#2e7d4f")
    factories.team(admin, "Counter", "#3566a8")
    manager = factories.staff(org, "manager", email="manager@brickworks.test", password=PASSWORD)
    assert manager.user.check_password(PASSWORD)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    shot("foundation-01-login")
    page.get_by_label("Email").fill("manager@brickworks.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("Brickworks"))).to_be_visible()
    shot("foundation-02-overview-empty")

    page.get_by_role("banner").get_by_role("link", name="Services", exact=True).click()
    page.get_by_role("button", name="New service").click()
    page.get_by_label("Name").fill("Bulk delivery")
    page.get_by_label("Category").fill("Logistics")
    page.get_by_label("Owner team").select_option(label="Yard crew")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Cycle of service: Bulk delivery"))).to_be_visible()
    shot("foundation-03-empty-cycle")

    page.get_by_role("button", name="Add the first moment").click()
    for index, name in enumerate(MOMENTS):
        page.get_by_label("Name").fill(name)
        page.get_by_label("What the customer wants here").fill(f"Customer goal {index + 1}")
        page.get_by_label("Owner team").select_option(label="Counter" if index < 4 else "Yard crew")
        page.get_by_label("Standard").fill("Within the agreed time")
        page.get_by_label("Target").fill(str(10 + index))
        page.get_by_label("Unit").select_option("minutes")
        if index == 0:
            shot("foundation-04-moment-form")
        last = index == len(MOMENTS) - 1
        page.get_by_role("button", name="Save" if last else "Save and add another", exact=True).click()
    expect(page.locator("ol.moments li")).to_have_count(6)
    service_id = int(re.search(r"/services/(\d+)/cycle/", page.url).group(1))  # type: ignore[union-attr]
    assert _order(service_id) == MOMENTS

    # keyboard alternative: Tab to "Move Pays up" and press Enter
    page.get_by_role("button", name="Move Pays up").focus()
    page.keyboard.press("Enter")
    expect(page.locator("ol.moments li").nth(2)).to_contain_text("Pays")
    assert _order(service_id)[2:4] == ["Pays", "Gets a quote"]
    # focus stays on the moved moment's button, so pressing Enter again keeps moving it
    expect(page.get_by_role("button", name="Move Pays up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("ol.moments li").nth(1)).to_contain_text("Pays")

    # drag and drop: the last moment's handle onto the first one
    handles = page.locator("ol.moments li .handle")
    with page.expect_response(lambda r: "/cycle/reorder/" in r.url and r.status == 200):
        handles.nth(5).drag_to(page.locator("ol.moments li").nth(0), target_position={"x": 20, "y": 5})
    expect(page.locator("ol.moments li").nth(0)).to_contain_text("Signs for goods")
    assert _order(service_id)[0] == "Signs for goods"

    expect(page.locator("svg.wheel a.segment")).to_have_count(6)
    shot("foundation-05-wheel")
    page.locator("details.table-view summary").click()
    expect(page.locator("details.table-view table tbody tr")).to_have_count(6)

    page.locator("svg.wheel a.segment").first.click()
    expect(page.get_by_role("heading", name=re.compile("Signs for goods"))).to_be_visible()
    shot("foundation-06-moment")
    page.go_back()

    page.get_by_label("Language").select_option("ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", name=re.compile("Цикл обслуживания"))).to_be_visible()
    expect(page.get_by_role("banner").get_by_role("link", name="Услуги", exact=True)).to_be_visible()
    shot("foundation-07-wheel-russian")
    page.goto(f"{live_server.url}/services/")
    shot("foundation-08-services-russian")
    assert team.pk
