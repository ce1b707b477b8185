"""Demo comparison-shopping audits: mystery-shopping visits to our outlets and competitors', recorded through
the same action the audit form uses. The shoppers write their notes in their own language, as the demo's
staff do. Skipped for a service that already has audits, so running the demo twice changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from servicecycle.accounts.models import Staff
from servicecycle.catalog.models import Service
from servicecycle.strategy import shopping
from servicecycle.strategy.models import ShoppingAudit

# organization slug, service, recorded by (email), [(days ago, outlet, competitor or "", shopper, notes,
# scores in cycle order (None: the visit did not reach that moment))]
AUDITS: list[tuple[str, str, str, list[tuple[int, str, str, str, str, list[int | None]]]]] = [
    (
        "stonebridge",
        "Home delivery",
        "manager@stonebridge.example",
        [
            (
                12,
                "North Yard",
                "",
                "Hannah Cole",
                "Booking was quick; the confirmation e-mail came an hour later. The truck arrived 40 minutes late.",
                [4, 3, 4, 3, 2, 4, 4, 4],
            ),
            (
                26,
                "Riverside",
                "",
                "Lucía Fernández",
                "Reserva fácil por teléfono. Llamaron el día anterior con la franja horaria; descarga cuidadosa.",
                [5, 4, 5, 4, 4, 4, 5, 4],
            ),
            (
                18,
                "Rapid Build Depot, Ring Road",
                "Rapid Build Depot",
                "Hannah Cole",
                "Online booking only. Live tracking link worked well; the driver left the pallets at the gate.",
                [3, 4, 3, 5, 5, 2, 3, 4],
            ),
            (
                40,
                "Rapid Build Depot, Canal Street",
                "Rapid Build Depot",
                "Иван Петров",
                "Окно доставки соблюдено, отслеживание машины удобное. Счёт пришёл с ошибкой в количестве.",
                [3, 4, 4, 5, 4, 3, 4, 2],
            ),
            (
                33,
                "Brickworks Direct",
                "Brickworks Direct",
                "Siti Aminah",
                "Tempahan melalui telefon lambat dijawab. Lori tiba lewat dua jam tanpa panggilan awal.",
                [2, 2, 2, 3, 2, 1, 3, 3],
            ),
        ],
    ),
    (
        "klinik-senyum",
        "Pemeriksaan dan pembersihan gigi",
        "manager@senyum.example",
        [
            (
                9,
                "Klinik Senyum, Bangsar",
                "",
                "Kavitha Devi",
                "Panggilan dijawab segera; masa menunggu di kaunter kira-kira sepuluh minit. Doktor menerangkan "
                "rawatan dengan jelas.",
                [5, 4, 4, 5, 4, 4],
            ),
            (
                21,
                "Dental Cahaya, Mid Valley",
                "Dental Cahaya",
                "Chong Wei",
                "Modern waiting room, but the phone rang out twice before anyone answered. Price list not shown.",
                [2, 4, 5, 4, 3, 3],
            ),
        ],
    ),
]


def load_shopping(today: dt.date | None = None) -> None:
    """Record the demo audits of each listed service that has none yet."""
    today = today or timezone.localdate()
    for slug, service_name, author_email, visits in AUDITS:
        service = Service.objects.filter(organization__slug=slug, name=service_name).first()
        if service is None or ShoppingAudit.objects.filter(service=service).exists():
            continue
        author = Staff.objects.select_related("user").get(organization=service.organization, user__email=author_email)
        moments = list(service.moments.order_by("position"))
        with transaction.atomic():
            for days_ago, outlet, competitor, shopper, notes, scores in visits:
                _visit(
                    author.user,
                    service,
                    moments,
                    today - dt.timedelta(days=days_ago),
                    outlet,
                    competitor,
                    shopper,
                    notes,
                    scores,
                )


def _visit(
    user: Any,
    service: Service,
    moments: list[Any],
    visited_on: dt.date,
    outlet: str,
    competitor: str,
    shopper: str,
    notes: str,
    scores: list[int | None],
) -> None:
    shopping.record_audit(
        acting_user=user,
        service=service,
        outlet_name=outlet,
        competitor_name=competitor,
        visited_on=visited_on,
        shopper=shopper,
        notes=notes,
        scores=[
            shopping.ScoreInput(moment_id=m.pk, score=score)
            for m, score in zip(moments, scores, strict=False)
            if score is not None
        ],
    )
