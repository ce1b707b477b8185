"""Demo cases: a few months of complaints, claims, suggestions, compliments and questions for each demo organization.

They go through the real case actions (SLA deadlines, audit trail, satisfaction ratings), each step run with the
clock set to the moment it happened, so the reports show realistic handling times in business hours and the
cycle wheels show which moments draw the complaints. Skipped for an organization that already has cases.
Every name and sentence here is invented for the demo.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from servicecycle.accounts.models import Customer, Organization, Staff
from servicecycle.cases import actions
from servicecycle.cases.models import Case, Category
from servicecycle.catalog.models import Service
from servicecycle.core.errors import DomainError

DAYS = 120
KINDS = (("complaint", 55), ("claim", 13), ("suggestion", 11), ("compliment", 9), ("question", 12))
CHANNELS = (("web_form", 34), ("email", 24), ("hotline", 20), ("in_person", 10), ("social", 6), ("suggestion_box", 6))

# organization slug -> currency, categories {name: (subject, description)}, SLA targets per kind,
# services {name: (number of cases, {moment: weight}, {category: weight})}
DEMO_CASES: dict[str, dict[str, Any]] = {
    "stonebridge": {
        "currency": "GBP",
        "categories": {
            "Late delivery": ("Delivery came late", "The truck came well after the time window we were given."),
            "Damaged goods": ("Goods arrived damaged", "Several items were broken or scratched when we opened them."),
            "Wrong or missing items": ("Items missing from the order", "Part of the order was missing or wrong."),
            "Waiting time": ("Long wait at the yard", "We waited far too long before anyone loaded the van."),
            "Billing error": ("Invoice does not match", "The invoice shows items and amounts we did not agree to."),
            "Staff attitude": ("Unhelpful staff", "The person we dealt with was short with us and did not help."),
            "Poor workmanship": ("Fitting not finished properly", "The fitting was left with gaps and loose parts."),
        },
        "sla": {"complaint": (60, 480, 2400), "claim": (60, 480, 4800), "question": (120, 960, None)},
        "services": {
            "Home delivery": (
                40,
                {
                    "Truck arrives": 9,
                    "Goods are unloaded": 5,
                    "Gets the day-before call": 3,
                    "Goods are picked": 3,
                    "Pays the invoice": 2,
                    "Truck is on the way": 1,
                    "Books a delivery": 1,
                },
                {
                    "Late delivery": 9,
                    "Damaged goods": 5,
                    "Wrong or missing items": 4,
                    "Billing error": 2,
                    "Staff attitude": 1,
                },
            ),
            "Materials pick-up": (
                25,
                {
                    "Waits for loading": 8,
                    "Collects from the second warehouse": 4,
                    "Checks the goods": 2,
                    "Pays": 2,
                    "Gets a quote": 1,
                    "Asks for advice": 1,
                },
                {
                    "Waiting time": 8,
                    "Wrong or missing items": 3,
                    "Staff attitude": 2,
                    "Billing error": 2,
                    "Damaged goods": 1,
                },
            ),
            "Installation": (
                15,
                {
                    "Hears about a delay": 5,
                    "Works in the home": 3,
                    "Snag list is fixed": 3,
                    "Crew arrives": 2,
                    "Site survey is booked": 1,
                },
                {"Poor workmanship": 5, "Late delivery": 3, "Staff attitude": 1, "Billing error": 1},
            ),
        },
    },
    "klinik-senyum": {
        "currency": "MYR",
        "categories": {
            "Masa menunggu": ("Menunggu terlalu lama", "Saya menunggu lebih sejam walaupun ada temu janji."),
            "Bil dan bayaran": ("Bil tidak betul", "Jumlah bil lebih tinggi daripada harga yang diberitahu."),
            "Sikap kakitangan": ("Kakitangan kurang mesra", "Kakitangan di kaunter tidak melayan dengan baik."),
            "Kesakitan selepas rawatan": ("Sakit selepas rawatan", "Gigi saya masih sakit beberapa hari kemudian."),
            "Temu janji": ("Temu janji dibatalkan", "Temu janji saya dibatalkan pada saat akhir."),
        },
        "sla": {"complaint": (120, 960, 4800), "claim": (120, 960, 7200), "question": (240, 1440, None)},
        "services": {
            "Pemeriksaan dan pembersihan gigi": (
                20,
                {
                    "Menunggu giliran": 8,
                    "Membuat bayaran": 3,
                    "Membuat temu janji": 2,
                    "Gigi dibersihkan": 2,
                    "Menerima peringatan": 1,
                },
                {
                    "Masa menunggu": 8,
                    "Bil dan bayaran": 3,
                    "Temu janji": 3,
                    "Sikap kakitangan": 2,
                    "Kesakitan selepas rawatan": 1,
                },
            ),
            "Rawatan pendakap gigi": (
                10,
                {"Masalah kecemasan": 4, "Lawatan pelarasan": 3, "Pemasangan pendakap": 2},
                {"Kesakitan selepas rawatan": 4, "Temu janji": 3, "Bil dan bayaran": 2},
            ),
        },
    },
}

LIGHT_TEXT = {
    "suggestion": ("An idea for you", "It would help if you sent a text message when the order is ready."),
    "compliment": ("Thank you", "The team went out of their way to help us today. Many thanks."),
    "question": ("A quick question", "Can I change the delivery address after I have paid?"),
}


@contextmanager
def _clock(moment: datetime) -> Iterator[None]:
    """Run the actions as if it were ``moment`` (demo history only): every ``timezone.now()`` returns it."""
    real_now = timezone.now
    timezone.now = lambda: moment  # type: ignore[assignment]
    try:
        yield
    finally:
        timezone.now = real_now  # type: ignore[assignment]


def _pick(rng: random.Random, weights: dict[str, int] | tuple[tuple[str, int], ...]) -> str:
    pairs = list(weights.items()) if isinstance(weights, dict) else list(weights)
    return rng.choices([k for k, _ in pairs], weights=[w for _, w in pairs])[0]


def load_cases() -> None:
    """Create the demo cases of every demo organization that has none yet."""
    for slug, spec in DEMO_CASES.items():
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None or Case.objects.filter(organization=organization).exists():
            continue
        with transaction.atomic():
            _organization_cases(organization, spec, random.Random(f"cases-{slug}"))


def _organization_cases(organization: Organization, spec: dict[str, Any], rng: random.Random) -> None:
    staff = list(Staff.objects.filter(organization=organization).select_related("user"))
    manager = next(s for s in staff if s.role == "manager")
    workers = [s for s in staff if s.role in ("agent", "team_lead")] or [manager]
    customers = list(Customer.objects.filter(organization=organization).values_list("pk", flat=True))
    categories = {
        c.name: c.pk
        for c in (
            Category.objects.filter(organization=organization, name=name).first()
            or actions.create_category(acting_user=manager.user, name=name)
            for name in spec["categories"]
        )
    }
    for kind, (ack, response, resolution) in spec["sla"].items():
        for priority in ("normal", "high"):
            factor = 2 if priority == "high" else 1
            actions.set_sla_policy(
                acting_user=manager.user,
                kind=kind,
                priority=priority,
                acknowledgement_minutes=ack // factor,
                first_response_minutes=response // factor,
                resolution_minutes=resolution // factor if resolution else None,
            )
    zone = ZoneInfo(organization.time_zone)
    now = timezone.now()
    for service_name, (count, moment_weights, category_weights) in spec["services"].items():
        service = Service.objects.get(organization=organization, name=service_name)
        moments = dict(service.moments.values_list("name", "pk"))
        for _ in range(count):
            day = (now - timedelta(days=rng.randint(1, DAYS))).astimezone(zone).date()
            local = datetime(
                day.year,
                day.month,
                day.day,
                rng.choice((8, 9, 10, 11, 12, 14, 15, 16, 17, 19)),
                rng.randint(0, 59),
                tzinfo=zone,
            )
            _one_case(
                rng,
                spec,
                service,
                received=local,
                now=now,
                moment_id=moments.get(_pick(rng, moment_weights)),
                category=_pick(rng, category_weights),
                categories=categories,
                customers=customers,
                workers=workers,
                any_moment=list(moments.values()),
            )


def _one_case(
    rng: random.Random,
    spec: dict[str, Any],
    service: Service,
    *,
    received: datetime,
    now: datetime,
    moment_id: int | None,
    category: str,
    categories: dict[str, int],
    customers: list[int],
    workers: list[Staff],
    any_moment: list[int],
) -> None:
    kind = _pick(rng, KINDS)
    channel = _pick(rng, CHANNELS)
    worker = rng.choice(workers)
    user = worker.user
    category_id = categories[category]
    if kind in ("complaint", "claim"):
        subject, description = spec["categories"][category]
    else:
        subject, description = LIGHT_TEXT[kind]
        moment_id = rng.choice(any_moment) if rng.random() < 0.6 else None
    customer_id = rng.choice(customers) if customers and channel != "suggestion_box" else None
    fields: dict[str, Any] = {
        "kind": kind,
        "channel": channel,
        "service_id": service.pk,
        "moment_id": moment_id,
        "customer_id": customer_id,
        "subject": subject,
        "description": description,
    }
    if channel == "hotline":
        fields.update(hotline_caller="Caller", hotline_duration_seconds=rng.randint(60, 900))
    if kind == "claim":
        fields.update(
            claim_request=rng.choice(("refund", "replacement", "compensation")),
            claim_amount=Decimal(rng.randint(20, 400)),
            claim_currency=spec["currency"],
            contact_email="" if customer_id else "claims.demo@example.test",
        )
    with _clock(received):
        created = actions.create_case(acting_user=user, **fields)
    case = created.case
    at = received
    # some of the last three weeks' cases are still being worked: they stop after a few steps
    steps_left = rng.randint(0, 5) if now - received < timedelta(days=21) and rng.random() < 0.7 else 99

    def later(minutes: tuple[int, int]) -> datetime | None:
        nonlocal at, steps_left
        at = at + timedelta(minutes=rng.randint(*minutes))
        steps_left -= 1
        return at if at < now - timedelta(minutes=5) and steps_left >= 0 else None

    def run(when: datetime | None, fn: Callable[..., Any], **kwargs: Any) -> Any:
        if when is None:
            return None
        with _clock(when):
            return fn(acting_user=user, **kwargs)

    try:
        if (case := run(later((5, 300)), actions.acknowledge, case=case)) is None:
            return
        priority = "high" if kind == "claim" and rng.random() < 0.3 else "normal"
        if (
            case := run(
                later((5, 120)),
                actions.assess,
                case=case,
                severity=rng.choice(("minor", "moderate", "moderate", "major")),
                priority=priority,
                category_id=category_id if kind in ("complaint", "claim") else None,
                moment_id=case.moment_id,
            )
        ) is None:
            return
        if (case := run(later((5, 60)), actions.assign, case=case, assignee_id=worker.pk)) is None:
            return
        if rng.random() < 0.2:  # asked the customer for details and waited for the answer
            if (case := run(later((10, 240)), actions.wait_for_customer, case=case, reason="Photos asked")) is None:
                return
            if (case := run(later((600, 4000)), actions.resume, case=case)) is None:
                return
        if run(later((30, 900)), actions.add_message, case=case, kind="public_reply", body=_reply(spec)) is None:
            return
        if kind in ("complaint", "claim"):
            outcome = _pick(rng, {"upheld": 5, "partly_upheld": 3, "not_upheld": 2})
            decision = _reply(spec)
            slow = rng.random() < 0.2  # some need a site visit or a supplier's answer first
            wait = (4000, 12000) if slow else (60, 2400)
            if (case := run(later(wait), actions.decide_response, case=case, decision=decision)) is None:
                return
            if (case := run(later((10, 300)), actions.communicate, case=case)) is None:
                return
            remedy, amount = _remedy(rng, kind, outcome, case)
            closed = run(
                later((60, 1500)),
                actions.close,
                case=case,
                outcome=outcome,
                remedy=remedy,
                remedy_amount=amount,
                remedy_currency=spec["currency"] if amount is not None else "",
            )
        else:
            outcome = "upheld"
            closed = run(later((30, 600)), actions.close, case=case)
        if closed is None or created.status_token is None or rng.random() > 0.7:
            return
        score = _pick(
            rng,
            {
                "upheld": {"5": 5, "4": 4, "3": 1},
                "partly_upheld": {"4": 3, "3": 3, "2": 2, "5": 1},
                "not_upheld": {"1": 3, "2": 3, "3": 2, "4": 1},
            }[outcome],
        )
        when = later((60, 4000))
        if when is not None:
            with _clock(when):
                actions.rate_satisfaction(token=created.status_token, score=int(score))
    except DomainError:  # a step the flow does not allow from here: leave the case where it stands
        return


def _reply(spec: dict[str, Any]) -> str:
    if spec["currency"] == "MYR":
        return "Terima kasih kerana memaklumkan kami. Kami sedang menyemak perkara ini."
    return "Thank you for telling us. We have looked into it and will put it right."


def _remedy(rng: random.Random, kind: str, outcome: str, case: Case) -> tuple[str, Decimal | None]:
    if outcome == "not_upheld":
        return "none", None
    if kind == "claim":
        if case.claim_request == "replacement":
            return "replacement", None
        amount = case.claim_amount or Decimal(50)
        share = Decimal(1) if outcome == "upheld" else Decimal("0.5")
        return ("refund" if case.claim_request == "refund" else "compensation"), (amount * share).quantize(Decimal(1))
    return rng.choice(("apology", "apology", "replacement")), None
