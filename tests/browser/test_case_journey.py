"""A complaint end to end, in Debian's chromium: a customer writes in Spanish with a photo through the public form
and gets a reference; an agent finds it in the inbox, assesses it, replies, decides, communicates and closes it
with a remedy; the customer opens the status link, reads the reply and rates the handling."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from servicecycle.cases import actions as case_actions
from servicecycle.cases.models import Case, CaseAttachment
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "journey-password-2026"


def _photo(tmp_path: Any) -> str:
    image = Image.new("RGB", (320, 240), (180, 90, 40))
    for x in range(0, 320, 20):
        for y in range(0, 240, 20):
            image.putpixel((x, y), (255, 255, 255))
    path = tmp_path / "caja-rota.jpg"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_customer_complains_in_spanish_agent_resolves_customer_rates(
    live_server: Any, page: Page, browser: Browser, shot: Any, transactional_db: None, tmp_path: Any, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    org = factories.organization("Muebles Sol")
    admin = factories.staff(org, "admin")
    team = factories.team(admin, "Reparto", "#2e7d4f")
    service = factories.service(admin, team, "Entrega a domicilio")
    factories.moment(admin, service, name="Llega el camión")
    factories.staff(org, "agent", [team], email="agente@mueblessol.test", password=PASSWORD)
    case_actions.create_reply_template(
        acting_user=admin.user,
        name="Disculpa por daños",
        language="es",
        body="Lamentamos mucho que su pedido llegara dañado. Le devolvemos el importe del envío.",
    )

    # 1. The customer writes in Spanish, with a photo of the damage
    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_default_timeout(60_000)  # a shared, busy machine: the first request loads every URL module
    page.set_default_navigation_timeout(120_000)
    page.goto(f"{live_server.url}/c/{org.slug}/")
    page.locator("#lang-select").select_option("es")
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.locator("input[name=kind][value=complaint]").check()
    page.locator("select[name=service]").select_option(str(service.pk))
    page.locator("input[name=subject]").fill("La mesa llegó rota")
    page.locator("textarea[name=description]").fill(
        "El repartidor dejó la caja en la calle y la mesa llegó con una pata rota. Adjunto una foto."
    )
    page.locator("input[name=attachments]").set_input_files(_photo(tmp_path))
    page.locator("input[name=contact_name]").fill("Lucía Fernández")
    page.locator("input[name=contact_email]").fill("lucia@example.test")
    page.locator("#id_language").select_option("es")
    shot("case-01-public-form-es")
    page.locator("form.intake-form button[type=submit]").click()
    reference = page.locator(".reference").inner_text().strip()
    assert re.fullmatch(r"C-\d{4}-\d{5}", reference)
    status_url = page.locator("a.status-link").get_attribute("href") or ""
    assert "/c/status/" in status_url
    shot("case-02-reference")
    case = Case.objects.get(reference=reference)
    assert CaseAttachment.objects.filter(case=case, content_type="image/jpeg").count() == 1

    # 2. An agent signs in, finds the case in the inbox and handles it
    staff_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    agent = staff_context.new_page()
    agent.set_default_timeout(60_000)
    agent.goto(f"{live_server.url}/accounts/login/")
    agent.get_by_label("Email").fill("agente@mueblessol.test")
    agent.get_by_label("Password").fill(PASSWORD)
    agent.get_by_role("button", name="Sign in").click()
    agent.get_by_role("banner").get_by_role("link", name="Cases", exact=True).click()
    expect(agent.locator("table[data-inbox]")).to_contain_text(reference)
    shot_page(agent, "case-03-inbox")

    # keyboard: j focuses the first row, Enter opens it
    agent.locator("body").click(position={"x": 5, "y": 5})
    agent.keyboard.press("j")
    expect(agent.locator("tr.is-current")).to_have_count(1)
    agent.locator(f"a.case-link:has-text('{reference}')").click()
    expect(agent.get_by_role("heading", level=1)).to_contain_text("La mesa llegó rota")
    expect(agent.locator(".attachments")).to_contain_text(".jpg")

    agent.get_by_role("button", name="Acknowledge receipt").click()
    expect(agent.locator("#case-panel .messages")).to_contain_text("Case acknowledged.")
    assess = agent.locator("#step-assess")
    assess.locator("select[name=assess-severity]").select_option("major")
    assess.locator("select[name=assess-priority]").select_option("high")
    assess.get_by_role("button", name="Save assessment").click()
    expect(agent.locator("#case-panel .messages")).to_contain_text("Assessment saved.")
    assign = agent.locator("#step-assign")
    assign.locator("select[name=assign-team]").select_option(str(team.pk))
    assign.get_by_role("button", name="Assign").click()
    expect(agent.locator("#case-panel .messages")).to_contain_text("Case assigned.")

    # a public reply started from the Spanish template (the customer's language)
    agent.locator("#reply-template").select_option(label="Disculpa por daños")
    expect(agent.locator("#id_add_message-body")).to_have_value(re.compile("Lamentamos mucho"))
    agent.locator("#id_add_message-body").fill(
        "Lamentamos mucho que su pedido llegara dañado. Le enviamos una mesa nueva esta semana."
    )
    agent.locator("input[name=add_message-kind][value=public_reply]").check()
    agent.get_by_role("button", name="Add message").click()
    expect(agent.locator(".msg-public_reply")).to_contain_text("Le enviamos una mesa nueva")
    agent.locator("input[name=add_message-kind][value=internal_note]").check()
    agent.locator("#id_add_message-body").fill("El transportista reconoce el daño; pedir abono.")
    agent.get_by_role("button", name="Add message").click()
    expect(agent.locator(".msg-internal_note")).to_contain_text("pedir abono")
    shot_page(agent, "case-04-case-page-working")

    decide = agent.locator("#step-decide_response")
    decide.locator("textarea").fill("Reponer la mesa y devolver 25 EUR del envío.")
    decide.get_by_role("button", name="Record the decision").click()
    expect(agent.locator("#case-panel .messages")).to_contain_text("Response decided.")
    communicate = agent.locator("#step-communicate")
    communicate.locator("textarea").fill(
        "Le reponemos la mesa y le devolvemos 25 EUR del envío. Disculpe las molestias."
    )
    communicate.get_by_role("button", name="Send to the customer").click()
    expect(agent.locator("#case-panel .messages")).to_contain_text("Response sent to the customer.")
    close = agent.locator("#step-close")
    close.locator("select[name=close-outcome]").select_option("upheld")
    close.locator("select[name=close-remedy]").select_option("refund")
    close.locator("input[name=close-remedy_amount]").fill("25")
    close.locator("input[name=close-remedy_currency]").fill("EUR")
    close.get_by_role("button", name="Close the case").click()
    expect(agent.locator("#case-panel .messages")).to_contain_text("Case closed.")
    expect(agent.locator(".case-facts")).to_contain_text("Refund")
    shot_page(agent, "case-05-case-closed")
    case.refresh_from_db()
    assert (case.status, case.outcome, case.remedy, str(case.remedy_amount), case.remedy_currency) == (
        "closed",
        "upheld",
        "refund",
        "25.00",
        "EUR",
    )
    staff_context.close()

    # 3. The customer opens the status link, reads the answer and rates the handling
    # the link is absolute on the configured site address; here the site runs on the live server's port
    page.goto(live_server.url + urlsplit(status_url).path)
    expect(page.locator("body")).to_contain_text("Le enviamos una mesa nueva")
    expect(page.locator("body")).to_contain_text("Le reponemos la mesa")
    expect(page.locator("body")).not_to_contain_text("pedir abono")  # the internal note stays inside
    shot("case-06-status-page")
    page.locator("form.rate-form input[type=radio][value='5']").check()
    page.locator("form.rate-form textarea").fill("Rápidos y amables. ¡Gracias!")
    page.locator("form.rate-form button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("¡Gracias!")
    shot("case-07-rated")
    case.refresh_from_db()
    assert case.satisfaction_score == 5


def _path(name: str) -> Any:
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def shot_page(page: Page, name: str) -> None:
    page.screenshot(path=str(_path(name)), full_page=True)
