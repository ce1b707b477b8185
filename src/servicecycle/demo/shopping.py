"""Demo evidence for the strategy worksheet.

Comparison-shopping audits: mystery-shopping visits to our outlets and competitors', recorded through the same
action the audit form uses; the shoppers write their notes in their own language, as the demo's staff do. And
an importance survey of Stonebridge's candidate services (customers share 100 points among them). Each part is
skipped once present, so running the demo twice changes nothing."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from servicecycle.accounts.models import Staff
from servicecycle.catalog.models import Service
from servicecycle.strategy import shopping
from servicecycle.strategy.models import ShoppingAudit
from servicecycle.surveys import actions as surveys
from servicecycle.surveys.models import Survey

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


# organization slug, author, {candidate service: mean share of the 100 points}, responses
IMPORTANCE_SURVEY = (
    "stonebridge",
    "manager@stonebridge.example",
    {"Home delivery": 38, "Installation": 27, "Returns and exchanges": 20, "Materials pick-up": 15},
    60,
)
IMPORTANCE_TITLES = {
    "en": "Which services matter most to you?",
    "es": "¿Qué servicios le importan más?",
    "ru": "Какие услуги для вас важнее всего?",
    "ms": "Perkhidmatan manakah yang paling penting bagi anda?",
}
IMPORTANCE_QUESTION = {
    "en": "Share 100 points among these services: the more a service matters to you, the more points it gets.",
    "es": "Reparta 100 puntos entre estos servicios: cuanto más le importe un servicio, más puntos recibe.",
    "ru": "Распределите 100 баллов между этими услугами: чем важнее для вас услуга, тем больше баллов.",
    "ms": "Bahagikan 100 mata antara perkhidmatan ini: semakin penting perkhidmatan itu, semakin banyak mata.",
}


def load_candidate_importance() -> None:
    """An importance survey of the candidate services with answers drawn around fixed shares (fixed seed)."""
    slug, author_email, shares, responses = IMPORTANCE_SURVEY
    author = (
        Staff.objects.select_related("user", "organization")
        .filter(organization__slug=slug, user__email=author_email)
        .first()
    )
    if author is None or Survey.objects.filter(organization=author.organization, kind="importance").exists():
        return
    user = author.user
    services = dict(Service.objects.filter(organization=author.organization, name__in=shares).values_list("name", "pk"))
    rng = random.Random(20261207)
    with transaction.atomic():
        survey = surveys.create_survey(
            acting_user=user,
            titles=IMPORTANCE_TITLES,
            kind="importance",
            languages=["en", "es", "ru", "ms"],
            default_language="en",
        )
        question = surveys.add_question(acting_user=user, survey=survey, kind="allocation", texts=IMPORTANCE_QUESTION)
        attributes = {
            name: surveys.add_attribute(
                acting_user=user, question=question, texts={"en": name}, service_id=services[name]
            )
            for name in shares
            if name in services
        }
        surveys.set_survey_status(acting_user=user, survey=survey, status="open")
        for _index in range(responses):
            weights = {name: max(1.0, rng.gauss(shares[name], shares[name] / 3)) for name in attributes}
            total = sum(weights.values())
            points = {name: int(100 * w / total) for name, w in weights.items()}
            largest = max(points, key=lambda n: points[n])
            points[largest] += 100 - sum(points.values())
            surveys.record_response(
                survey=survey,
                answers=[
                    {"question": question.pk, "attribute": attributes[name].pk, "value": value}
                    for name, value in points.items()
                ],
            )
