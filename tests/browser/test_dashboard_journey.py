"""Issue #8's acceptance journey in Debian's chromium, on the demo organization (the data `make demo` loads): a
manager opens the dashboard, finds the delivery service's critical moment on its wheel (the segment with the
hottest heat colour is the one the ranking puts first for the service), clicks through to the complaints and
broken promises behind it, opens the service's stage playbook and records an offering decision. Walked in
English, then again in Spanish after switching the language in the top bar; screenshots of every step go to
var/screenshots/dashboard-<language>-NN-<step>.png. The dashboard's PDF export is saved beside them."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Locator, Page, expect

from servicecycle import demo
from servicecycle.accounts.models import Organization, Staff
from servicecycle.cases.models import Case, Kind
from servicecycle.catalog.models import OfferingDecision, Service
from servicecycle.cycles.critical import RankedMoment, rank_moments
from servicecycle.cycles.views import EVIDENCE_PER_PAGE  # each list of the evidence page is paged by this many
from servicecycle.demo.data import DELIVERY_SURVEY, DEMO_PASSWORD
from servicecycle.promises.models import Promise, State
from servicecycle.strategy.playbooks import playbook_for
from servicecycle.strategy.queries import service_lifecycle
from tests.browser.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

HEALTH_DAYS = 90  # the window of the complaint and broken-promise figures (docs/moment-health.md)
HUE = re.compile(r"hsl\((\d+(?:\.\d+)?)")


def tr(language: str, message: str) -> str:
    """The interface text as the catalog of ``language`` has it."""
    with translation.override(language):
        return gettext(message)


def heading(language: str, message: str, **values: str) -> str:
    """A translated heading, checked to be translated at all when the language is not English."""
    text = tr(language, message)
    if language != "en":
        assert text != message, f"{message!r} has no {language} translation"
    return text % values if values else text


def hue(fill: str | None) -> float:
    found = HUE.match(fill or "")
    assert found, f"not a heat colour: {fill!r}"
    return float(found.group(1))  # heat_color: 0 is red (critical), 120 green (healthy)


def first_of_service(ranked: list[RankedMoment], service: Service) -> RankedMoment:
    return next(r for r in ranked if r.service.pk == service.pk)


def test_manager_finds_the_delivery_services_critical_moment_and_decides_how_to_offer_it(
    live_server: Any, page: Page, shot: Any, transactional_db: None
) -> None:
    started = time.perf_counter()
    logins = demo.load()
    loaded_in = time.perf_counter() - started
    organization = Organization.objects.get(slug=DELIVERY_SURVEY["organization"])
    delivery = Service.objects.get(organization=organization, name=DELIVERY_SURVEY["service"])
    manager_email = next(email for org, email, role in logins if org == organization.name and role == "manager")
    manager = Staff.objects.select_related("user").get(user__email=manager_email, organization=organization)

    ranked = rank_moments(organization)
    critical = first_of_service(ranked, delivery)
    assert critical.moment.pk == rank_moments(organization, service_id=delivery.pk)[0].moment.pk
    since = timezone.now() - timedelta(days=HEALTH_DAYS)
    complaints = list(
        Case.objects.filter(
            moment=critical.moment, kind__in=[Kind.COMPLAINT, Kind.CLAIM], received_at__gte=since
        ).order_by("-received_at", "-pk")
    )
    broken = list(Promise.objects.filter(moment=critical.moment, state=State.BROKEN, broken_at__gte=since))
    kept = Promise.objects.filter(moment=critical.moment, state=State.KEPT, kept_at__gte=since).count()
    # the journey needs both kinds of evidence behind the demo's critical moment
    assert complaints, "the demo has no complaint about the delivery service's most critical moment"
    assert broken, "the demo has no broken promise on the delivery service's most critical moment"
    assert critical.health.components["complaints"].value == len(complaints)
    assert critical.health.components["broken_promises"].value == pytest.approx(len(broken) / (len(broken) + kept))
    stage = service_lifecycle(delivery).stage
    playbook = playbook_for(stage)
    assert playbook is not None, "the demo's delivery service has no life-cycle stage, so no playbook"

    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_default_timeout(60_000)  # a shared, busy machine: the first request loads every URL module
    page.set_default_navigation_timeout(120_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(manager_email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#critical")).to_be_visible()  # a manager's home is the dashboard

    decisions = [
        # price model, price, currency, months free, delivery channel, rationale, days to the review
        (
            "sold_separately",
            "49.50",
            "GBP",
            None,
            "own_staff",
            "Late arrivals lead the complaints: keep the fee, and fund a second van for the morning window.",
            120,
        ),
        (
            "free_period",
            None,
            "",
            3,
            "own_staff",
            "Tres meses sin cargo para las obras nuevas mientras se cumple la franja de dos horas.",
            60,
        ),
    ]
    for number, language in enumerate(("en", "es")):
        if language != "en":
            # the user switches the language in the top bar; the choice is kept on their profile
            page.locator("#lang-select").select_option(language)
            expect(page.locator("html")).to_have_attribute("lang", language)
            page.locator("a.brand").click()
        _journey(
            page,
            shot,
            language=language,
            organization=organization,
            delivery=delivery,
            critical=critical,
            complaints=complaints,
            broken=broken,
            stage_heading=str(playbook.heading),
            manager=manager,
            decision=decisions[number],
        )
        pdf = page.request.get(f"{live_server.url}/dashboard.pdf?days=90")
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        assert pdf.body().startswith(b"%PDF")
        (SCREENSHOTS / f"dashboard-{language}.pdf").write_bytes(pdf.body())

    assert Staff.objects.get(pk=manager.pk).language == "es"  # the switch was remembered
    print(f"demo loaded in {loaded_in:.1f} s; the whole journey took {time.perf_counter() - started:.1f} s")


def _journey(
    page: Page,
    shot: Any,
    *,
    language: str,
    organization: Organization,
    delivery: Service,
    critical: RankedMoment,
    complaints: list[Case],
    broken: list[Promise],
    stage_heading: str,
    manager: Staff,
    decision: tuple[str, str | None, str, int | None, str, str, int],
) -> None:
    name = f"dashboard-{language}"

    # 1. The dashboard: the ranking and the delivery service's wheel agree on the critical moment
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#critical h2")).to_have_text(heading(language, "Top critical moments"))
    expect(page.locator("#wheels h2")).to_have_text(heading(language, "Cycles of service"))
    expect(page.get_by_role("heading", name=organization.name, exact=True)).to_be_visible()
    cycle_url = reverse("cycle", kwargs={"service_id": delivery.pk})
    moment_url = reverse("moment-detail", kwargs={"service_id": delivery.pk, "pk": critical.moment.pk})
    delivery_rows = page.locator("#critical tbody tr").filter(has=page.locator(f'a[href="{cycle_url}"]'))
    expect(delivery_rows.first).to_be_visible()
    first_link = delivery_rows.first.locator("td").nth(1).locator("a")
    assert first_link.get_attribute("href") == moment_url  # the ranking's first delivery moment
    expect(first_link).to_have_text(critical.moment.name)
    swatch = delivery_rows.first.locator(".heat-swatch").get_attribute("style") or ""
    assert critical.heat_color in swatch

    card = page.locator("article.wheel-card").filter(has=page.locator(f'header a[href="{cycle_url}"]'))
    expect(card).to_have_count(1)
    segments = card.locator("svg.wheel a.segment")
    expect(segments).to_have_count(delivery.moments.count())
    heat: dict[str, float] = {}
    for segment in segments.all():
        ring = segment.locator("path.heat")
        if ring.count():
            heat[segment.get_attribute("href") or ""] = hue(ring.get_attribute("fill"))
    assert heat, "no moment of the delivery wheel carries a heat colour"
    hottest = min(heat.values())
    assert heat[moment_url] == hottest, f"the ranking's first moment is not the hottest on the wheel: {heat}"
    assert hottest == hue(critical.heat_color)
    # whatever shares the hottest colour comes later in the ranking's order (a tie is broken by the cycle order)
    assert next(url for url in heat if heat[url] == hottest) == moment_url
    shot(f"{name}-01-home")

    # 2. The wheel segment opens the moment; its page leads to the evidence behind the figure
    hot: Locator = card.locator(f'svg.wheel a.segment[href="{moment_url}"]')
    hot.locator("text").first.click()
    expect(page).to_have_url(re.compile(re.escape(moment_url) + r"$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(critical.moment.name)
    shot(f"{name}-02-moment")
    page.get_by_role("link", name=tr(language, "The complaints, promises and answers behind this figure")).click()
    evidence_url = reverse("moment-evidence", kwargs={"service_id": delivery.pk, "pk": critical.moment.pk})
    expect(page).to_have_url(re.compile(re.escape(evidence_url) + r"$"))
    expect(page.locator("nav[aria-label=breadcrumb] li").last).to_have_text(
        heading(language, "Behind the health figure")
    )

    # 3. Its complaints and broken promises, as many as the database holds for the 90 days
    listed_complaints = page.locator("#records-complaints")
    expect(listed_complaints.locator("h2")).to_contain_text(heading(language, "Complaints and claims"))
    expect(listed_complaints.locator("h2 small")).to_have_text(f"({len(complaints)})")
    shown = complaints[:EVIDENCE_PER_PAGE]
    expect(listed_complaints.locator("li")).to_have_count(len(shown))
    for item, case in zip(listed_complaints.locator("li").all(), shown, strict=True):
        expect(item).to_contain_text(case.reference)
    listed_promises = page.locator("#records-broken_promises")
    expect(listed_promises.locator("h2")).to_contain_text(heading(language, "Promises"))
    assert len(broken) <= EVIDENCE_PER_PAGE  # the broken ones come first, so they are all on the first page
    expect(listed_promises.locator("li.hot")).to_have_count(len(broken))
    hot_text = " ".join(listed_promises.locator("li.hot").all_inner_texts())
    for promise in broken:
        assert promise.text[:60] in hot_text
    shot(f"{name}-03-evidence")

    # 4. Through the breadcrumbs to the service, its life cycle and the stage playbook
    page.locator("nav[aria-label=breadcrumb]").get_by_role("link", name=delivery.name, exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(cycle_url) + r"$"))
    shot(f"{name}-03b-cycle")  # the wheel at full size: heat ring, team band and the legends
    page.locator("nav[aria-label=breadcrumb]").get_by_role("link", name=delivery.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(delivery.name)
    page.get_by_role("button", name=tr(language, "Life cycle"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        heading(language, "Life cycle: %(service)s", service=delivery.name)
    )
    expect(page.locator("section.playbook h2")).to_have_text(heading(language, stage_heading))
    expect(page.locator("section.playbook li").first).to_be_visible()
    shot(f"{name}-04-playbook")

    # 5. From the strategy worksheet, record how the service is offered
    page.get_by_role("button", name=tr(language, "Strategy worksheet"), exact=True).click()
    page.get_by_role("button", name=tr(language, "Record an offering decision")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        heading(language, "How to offer %(service)s", service=delivery.name)
    )
    price_model, price, currency, months, channel, rationale, review_in = decision
    review = date.today() + timedelta(days=review_in)
    page.locator("#id_price_model").select_option(price_model)
    if months is not None:
        page.locator("#id_free_period_months").fill(str(months))
    if price is not None:
        page.locator("#id_price").fill(price)
        page.locator("#id_currency").fill(currency)
    page.locator("#id_delivery_channel").select_option(channel)
    page.locator("#id_rationale").fill(rationale)
    page.locator("#id_review_date").fill(review.isoformat())
    shot(f"{name}-05-decision-form")
    page.locator("form.stacked-form button[type=submit]").click()

    # 6. It is stored, in force, and shown with its rationale and review date
    expect(page.get_by_text(heading(language, "Offering decision recorded."))).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading(language, "Offering decisions"))
    stored = OfferingDecision.objects.filter(service=delivery).first()  # newest first
    assert stored is not None
    assert (stored.price_model, stored.delivery_channel, stored.rationale, stored.review_date) == (
        price_model,
        channel,
        rationale,
        review,
    )
    assert stored.free_period_months == months
    assert (str(stored.price) if stored.price is not None else None, stored.currency) == (price, currency)
    assert stored.decided_by_id == manager.user_id
    in_force = page.locator("article.decision.current")
    expect(in_force.locator("header")).to_have_text(heading(language, "In force"))
    expect(in_force).to_contain_text(rationale)
    expect(in_force.locator("time")).to_have_attribute("datetime", review.isoformat())
    with translation.override(language):
        expect(in_force).to_contain_text(str(OfferingDecision.PriceModel(price_model).label))
        expect(in_force).to_contain_text(str(OfferingDecision.Delivery(channel).label))
    shot(f"{name}-06-decision-recorded")
