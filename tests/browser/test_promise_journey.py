"""The warehouse transfer story, in Debian's chromium: a seller drafts a promise and asks the warehouse; the
warehouse lead (a second browser) declines for today and proposes tomorrow 09:00; the seller's open page shows
the answer without reloading; the seller gives the alternative; the clock moves past the due time, the sweep
finds the promise broken and escalates it to the lead, and the seller records a recovery."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from servicecycle.promises.models import Promise, State
from tests import factories
from tests.browser.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "journey-password-2026"
TEXT = "Move the goods to the central warehouse today"


def _sign_in(page: Page, base: str, email: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def _local(dt: datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"promise-{name}.png"), full_page=True)


def test_warehouse_transfer_is_declined_answered_live_given_broken_and_recovered(
    live_server: Any, page: Page, browser: Browser, transactional_db: None
) -> None:
    org = factories.organization("Brickworks")
    admin = factories.staff(org, "admin")
    warehouse = factories.team(admin, "Warehouse", "#2e7d4f")
    counter = factories.team(admin, "Sales counter", "#3566a8")
    service = factories.service(admin, warehouse, "Building materials")
    factories.moment(admin, service, name="Order at the counter", owner=counter)
    factories.moment(admin, service, name="Pick-up at the warehouse")
    factories.staff(org, "agent", [counter], email="seller@brickworks.test", password=PASSWORD)
    factories.staff(org, "team_lead", [warehouse], email="lead@brickworks.test", password=PASSWORD)
    base = live_server.url
    now = timezone.now()
    due_today = (now + timedelta(hours=3)).replace(second=0, microsecond=0)
    tomorrow_nine = datetime.combine(timezone.localdate(now) + timedelta(days=1), time(9, 0), tzinfo=now.tzinfo)

    # 1. the seller drafts the promise and asks the warehouse
    _sign_in(page, base, "seller@brickworks.test")
    page.get_by_role("banner").get_by_role("link", name="Promises", exact=True).click()
    expect(page.get_by_role("heading", name="Promises")).to_be_visible()
    _shot(page, "01-empty-list")
    page.get_by_role("button", name="New promise").click()
    page.get_by_label("or: customer's name").fill("Mia Tan")
    page.get_by_label("customer's email").fill("mia@example.test")
    with page.expect_response(lambda r: "/moments/options/" in r.url):
        page.locator("#id_service").select_option(label="Building materials")
    page.get_by_label("Moment of truth").select_option(label="2. Pick-up at the warehouse")
    page.get_by_label("Team that must fulfil it").select_option(label="Warehouse")
    page.get_by_label("What exactly is promised").fill(TEXT)
    page.locator("#id_due_at").fill(_local(due_today))
    expect(page.get_by_text("the organization's time zone")).to_be_visible()
    _shot(page, "02-new-promise-form")
    page.get_by_role("button", name="Ask the team to confirm").click()
    expect(page.locator(".state-line")).to_contain_text("Awaiting confirmation")
    expect(page.get_by_text("This page updates by itself")).to_be_visible()
    promise = Promise.objects.get(text=TEXT)
    assert promise.state == State.AWAITING
    page.evaluate("window.__samePage = true")  # gone if the page were reloaded
    _shot(page, "03-awaiting-confirmation")

    # 2. the warehouse lead, in a second browser context, declines for today and proposes tomorrow 09:00
    lead_context = browser.new_context()
    lead = lead_context.new_page()
    _sign_in(lead, base, "lead@brickworks.test")
    lead.goto(f"{base}/promises/requests/")
    lead.evaluate("window.__samePage = true")  # the answer comes in place: the list is not reloaded
    request = lead.locator(f"#request-{promise.pk}")
    expect(request).to_contain_text(TEXT)
    expect(request).to_contain_text("answer by")
    request.get_by_text("Decline, with a reason and an alternative").click()
    request.get_by_label("Why not").fill("The forklift is booked all day; we cannot move the pallets today.")
    request.get_by_label("What the team can do instead").fill(
        "Move the goods to the central warehouse tomorrow morning"
    )
    request.get_by_label("By when instead").fill(_local(tomorrow_nine))
    _shot(lead, "04-lead-declines")
    request.get_by_role("button", name="Decline", exact=True).click()
    expect(lead.get_by_text("Declined. The person who asked has been told")).to_be_visible()
    expect(lead.locator(f"#request-{promise.pk}.answered")).to_contain_text("Declined by the team")
    expect(lead.locator("#requests-waiting")).to_have_text("0")
    assert lead.evaluate("window.__samePage === true")
    _shot(lead, "04b-lead-declined-in-place")

    # 3. the seller's open page shows the answer by itself (the polled fragment), without a reload
    expect(page.locator(".state-line")).to_contain_text("Declined by the team", timeout=15_000)
    expect(page.locator(".team-answer")).to_contain_text("The forklift is booked all day")
    assert page.evaluate("window.__samePage === true")
    _shot(page, "05-decline-shown-live")

    # 4. the seller accepts the alternative and gives it to the customer
    page.get_by_role("button", name="Accept the team's alternative").click()
    expect(page.locator(".state-line")).to_contain_text("Confirmed by the team")
    expect(page.get_by_text("The team's alternative is now the promise")).to_be_visible()
    assert page.evaluate("window.__samePage === true")  # the action's answer swapped the live part
    page.get_by_role("button", name="Give it to the customer").click()
    expect(page.locator(".state-line")).to_contain_text("Given to the customer")
    promise.refresh_from_db()
    assert promise.due_at == tomorrow_nine and promise.original_due_at == due_today
    _shot(page, "06-given")

    # 5. the clock moves past the due time; the sweep finds it broken and escalates it to the team lead
    with time_machine.travel(tomorrow_nine + timedelta(hours=2), tick=True):
        call_command("sweep_promises", verbosity=0)
        promise.refresh_from_db()
        assert promise.state == State.BROKEN
        assert promise.escalation_level >= 1
        # the next day both sign in again (sessions end after 8 idle hours)
        _sign_in(page, base, "seller@brickworks.test")
        page.goto(f"{base}/promises/{promise.pk}/")
        expect(page.locator(".state-line")).to_contain_text("Broken")
        expect(page.get_by_text("Record what was done for the customer.")).to_be_visible()
        _shot(page, "07-broken")

        _sign_in(lead, base, "lead@brickworks.test")
        lead.goto(f"{base}/promises/requests/")
        expect(lead.get_by_text("needs recovery")).to_be_visible()
        expect(lead.locator("a.bell mark")).to_be_visible()
        _shot(lead, "08-lead-sees-escalation")
        lead.goto(f"{base}/notifications/")
        _shot(lead, "09-lead-notifications")

        # 6. the seller records the recovery: a new date agreed with the customer, with an apology
        page.get_by_label("What was done for the customer").select_option("new_date")
        page.get_by_label("New date agreed").fill(_local(tomorrow_nine + timedelta(days=1, hours=3)))
        page.get_by_label("Note (what was said or agreed)").fill(
            "Called Mia, apologised, and agreed to have everything ready at noon the day after."
        )
        page.get_by_role("button", name="Record the recovery").click()
        expect(page.get_by_text("New date agreed with the customer:")).to_be_visible()
        promise.refresh_from_db()
        assert promise.recovered_at is not None
        _shot(page, "10-recovered")

        # 7. what the customer sees on the status link (a browser that is not signed in)
        link = page.locator(".status-link input").input_value()
        path = re.search(r"/p/[^/]+/", link)
        assert path is not None
        customer_context = browser.new_context()
        customer = customer_context.new_page()
        customer.set_viewport_size({"width": 900, "height": 700})
        customer.goto(base + path.group(0))
        expect(customer.get_by_role("heading", name="What we promised you")).to_be_visible()
        expect(customer.get_by_text("New date agreed with you")).to_be_visible()
        _shot(customer, "11-customer-status")
        customer_context.close()
    lead_context.close()
