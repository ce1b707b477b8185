"""A service manager works out the strategy of a service in Debian's chromium: opens its strategy worksheet,
records a comparison-shopping audit of a competitor (a file that is not a photo is refused first, and nothing is
saved), sees the comparison class the audits give, opens the service's stage playbook and records an offering
decision (bad input first: an error on the field, nothing saved)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from servicecycle.catalog.models import OfferingDecision
from servicecycle.strategy import actions as strategy_actions
from servicecycle.strategy.actions import DemandRow
from servicecycle.strategy.models import ShoppingAudit
from tests import factories
from tests.strategy.shopping_builders import audit

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "journey-password-2026"


def test_manager_audits_a_competitor_opens_the_playbook_and_records_an_offering_decision(
    live_server: Any, page: Page, shot: Any, transactional_db: None, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    world = factories.world()
    manager = factories.staff(world.org, "manager", email="strategist@acme.test", password=PASSWORD)
    audit(world, [4, 4, 4], outlet="Our yard")  # our own outlet, audited earlier
    strategy_actions.set_demand_history(
        acting_user=manager.user,
        service=world.service,
        rows=[DemandRow(row=i, period=str(2019 + i), demand=d) for i, d in enumerate([400, 520, 900, 1500, 2300])],
        from_launch=True,
    )

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("strategist@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/services/{world.service.pk}/")
    page.get_by_role("button", name="Strategy worksheet").click()
    expect(page.get_by_role("heading", name="Strategy worksheet: Delivery")).to_be_visible()
    expect(page.locator("#parity-rule")).to_contain_text("more than 0.25 points higher")
    shot("strategy-01-worksheet")

    page.get_by_role("button", name="Comparison shopping").click()
    page.get_by_role("button", name="Record an audit").click()
    page.get_by_label("A competitor's").check()
    page.get_by_label("Competitor", exact=True).fill("Rapid Build Depot")
    page.get_by_label("Outlet").fill("Rapid, Ring Road")
    for row, score in zip(page.locator("#audit-checklist tbody tr").all(), ["3", "5", "2"], strict=True):
        row.get_by_label(score, exact=True).check()
    bad = tmp_path / "shelf.png"
    bad.write_bytes(b"MZ this is a program, not a picture")
    page.get_by_label("Photos (optional)").set_input_files(str(bad))
    page.get_by_role("button", name="Save audit").click()
    expect(page.get_by_text("“shelf.png” is not a photo.")).to_be_visible()
    assert ShoppingAudit.objects.count() == 1  # nothing saved
    shot("strategy-02-audit-refused")
    for row, score in zip(page.locator("#audit-checklist tbody tr").all(), ["3", "5", "2"], strict=True):
        row.get_by_label(score, exact=True).check()
    page.get_by_role("button", name="Save audit").click()
    expect(page.get_by_role("heading", name="Rapid, Ring Road")).to_be_visible()
    assert ShoppingAudit.objects.filter(competitor_name="Rapid Build Depot").count() == 1

    page.goto(f"{live_server.url}/services/{world.service.pk}/strategy/")
    shopping_cell = page.locator(
        f'#candidate-services tr[data-service="{world.service.pk}"] td[data-source="shopping"]'
    )
    expect(shopping_cell).to_contain_text("Lead")  # ours 4.00 against 3.33: more than 0.25 points ahead
    shot("strategy-03-worksheet-with-audits")

    page.get_by_role("link", name="Open the stage playbook").click()
    expect(page.locator("section.playbook h2")).to_be_visible()
    shot("strategy-04-playbook")
    page.go_back()

    page.get_by_role("button", name="Record an offering decision").click()
    page.get_by_label("Price model").select_option(label="Sold separately")
    page.get_by_label("Delivery channel").select_option(label="Own staff at each outlet")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Enter the price of the service.")).to_be_visible()
    assert not OfferingDecision.objects.exists()
    page.get_by_label("Price", exact=True).fill("25")
    page.get_by_label("currency (ISO code)").fill("EUR")
    page.get_by_label("Rationale").fill("Builders pay for a fixed two-hour window.")
    page.get_by_role("button", name="Save", exact=True).click()
    assert OfferingDecision.objects.get().rationale == "Builders pay for a fixed two-hour window."
    page.goto(f"{live_server.url}/services/{world.service.pk}/strategy/")
    expect(page.locator("#how-to-offer")).to_contain_text("Builders pay for a fixed two-hour window.")
    expect(page.locator("#decision-log")).to_contain_text("recorded an offering decision")
    shot("strategy-05-decided")
