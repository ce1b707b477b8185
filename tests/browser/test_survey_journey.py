"""A manager builds an NPS + importance/performance survey in English and Malay; a customer answers it
in Malay on a phone through a personal link, tries to answer twice and is refused politely; the
manager reads the results. axe-core (vendored) checks the respondent pages for accessibility."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from servicecycle.surveys.models import Answer, Response
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "survey-journey-password-2026"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"


def _axe(page: Page) -> list[dict[str, Any]]:
    """Serious and critical accessibility violations of the page, by axe-core run in the browser."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))})); }"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def test_survey_built_in_two_languages_answered_in_malay_on_a_phone(
    live_server: Any, page: Page, browser: Browser, shot: Any, transactional_db: None
) -> None:
    org = factories.organization("Kedai Bata")
    admin = factories.staff(org, "admin")
    team = factories.team(admin, "Yard crew")
    factories.service(admin, team, "Bulk delivery")
    factories.staff(org, "manager", email="manager@kedai.test", password=PASSWORD)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("manager@kedai.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # build: an empty survey in English and Malay
    page.get_by_role("banner").get_by_role("link", name="Surveys", exact=True).click()
    page.get_by_role("button", name="New survey").click()
    page.get_by_label("An empty survey").check()
    page.get_by_label("Title").fill("Delivery survey")
    page.get_by_label("Malay").check()
    page.get_by_label("Default language").select_option("en")
    page.get_by_label("Service surveyed").select_option(label="Bulk delivery")
    page.get_by_role("button", name="Create the survey").click()
    expect(page.get_by_role("heading", name="Delivery survey")).to_be_visible()
    survey_url = page.url

    # the Malay title is missing: the completeness check names it; fill it in
    expect(page.locator(".missing-list")).to_contain_text("Title")
    page.get_by_role("button", name="Edit title and languages").click()
    page.get_by_label("Title (Malay)").fill("Tinjauan penghantaran")
    page.get_by_role("button", name="Save").click()

    # an NPS question in both languages
    page.get_by_role("button", name="Add a question").click()
    page.get_by_label("Question (English)").fill("How likely are you to recommend our delivery to a friend?")
    page.get_by_label("Question (Malay)").fill("Sejauh manakah anda akan mengesyorkan penghantaran kami kepada rakan?")
    page.get_by_role("button", name="Save").click()

    # an importance/performance grid, with a competitor
    page.get_by_role("button", name="Add a question").click()
    page.locator("#kind-picker").select_option("ipa_grid")
    page.wait_for_url(re.compile(r"kind=ipa_grid"))
    page.get_by_label("Question (English)").fill("How important is each of these to you, and how well do we do it?")
    page.get_by_label("Question (Malay)").fill(
        "Sejauh manakah setiap perkara ini penting kepada anda, dan sejauh manakah kami melakukannya dengan baik?"
    )
    page.get_by_label("Lowest answer").fill("1")
    page.get_by_label("Highest answer").fill("5")
    page.get_by_label("Competitor rated beside us").fill("Bata Express")
    page.get_by_role("button", name="Save").click()
    for english, malay in (
        ("Arrives on the promised day", "Tiba pada hari yang dijanjikan"),
        ("Bricks arrive unbroken", "Bata tiba tanpa pecah"),
    ):
        page.get_by_label("Attribute (English)").fill(english)
        page.get_by_label("Attribute (Malay)").fill(malay)
        page.get_by_role("button", name="Save and add another").click()
    page.get_by_role("button", name="Done").click()
    expect(page.locator(".questions > li")).to_have_count(2)
    expect(page.locator(".completeness")).not_to_contain_text("incomplete")
    shot("survey-01-builder")

    # open it and make a personal link in Malay
    page.get_by_role("button", name="Open the survey").click()
    expect(page.locator(".messages")).to_contain_text("open")
    page.get_by_role("link", name="Create a personal link").click()
    page.get_by_label("Email").fill("aminah@example.test")
    page.get_by_label("Language they answer in").select_option("ms")
    page.get_by_role("button", name="Create a personal link").click()
    link = page.locator("#invitation-link").input_value()
    assert "/s/i/" in link
    link = live_server.url + link[link.index("/s/i/") :]

    # the customer, on a phone
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    customer = phone.new_page()
    customer.goto(link)
    expect(customer.locator("html")).to_have_attribute("lang", "ms")
    expect(
        customer.get_by_text("Sejauh manakah anda akan mengesyorkan penghantaran kami kepada rakan?")
    ).to_be_visible()
    shot_page(customer, "survey-02-respondent-first-page")
    assert _axe(customer) == []
    # sent without an answer: the error is announced and linked
    customer.locator("button[value=next]").click()
    expect(customer.locator("#error-summary")).to_be_visible()
    expect(customer.locator("#error-summary")).to_be_focused()
    shot_page(customer, "survey-03-respondent-error")
    assert _axe(customer) == []
    # keyboard: focus the scale and choose 9 with the arrow keys
    customer.locator("fieldset.has-error, .has-error fieldset").first.locator("input[value='0']").focus()
    for _ in range(9):
        customer.keyboard.press("ArrowRight")
    expect(customer.locator("input[value='9']").first).to_be_checked()
    customer.locator("button[value=next]").click()
    expect(customer.locator("progress")).to_have_attribute("value", "2")
    # the grid: tap the answers
    rows = customer.locator("fieldset.attribute-row")
    expect(rows).to_have_count(2)
    for index, (importance, performance, rival) in enumerate(((5, 4, 3), (4, 5, 2))):
        row = rows.nth(index)
        scales = row.locator("fieldset.sub")
        scales.nth(0).locator(f"label:has(input[value='{importance}'])").click()
        scales.nth(1).locator(f"label:has(input[value='{performance}'])").click()
        scales.nth(2).locator(f"label:has(input[value='{rival}'])").click()
    shot_page(customer, "survey-04-respondent-grid")
    assert _axe(customer) == []
    customer.locator("button[value=submit]").click()
    expect(customer.locator("[data-outcome=thanks]")).to_be_visible()
    shot_page(customer, "survey-05-respondent-thanks")
    assert _axe(customer) == []
    response = Response.objects.get()
    assert response.language == "ms"
    assert Answer.objects.filter(response=response).count() == 3

    # a second attempt through the same link: refused politely, nothing recorded
    customer.goto(link)
    expect(customer.locator("[data-outcome=already]")).to_be_visible()
    shot_page(customer, "survey-06-respondent-already-answered")
    assert _axe(customer) == []
    assert Response.objects.count() == 1
    phone.close()

    # the manager sees the results
    page.goto(survey_url)
    page.get_by_role("button", name="Results").click()
    expect(page.locator(".stat-row")).to_contain_text("100.0")  # one promoter: NPS 100
    expect(page.locator("table").filter(has_text="Arrives on the promised day")).to_be_visible()
    page.wait_for_timeout(1500)  # let the charts draw
    shot("survey-07-results")


def shot_page(page: Page, name: str) -> None:
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
