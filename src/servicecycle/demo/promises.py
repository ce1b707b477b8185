"""Demo promises: the warehouse-transfer story, told the managed way, and a few months of promises behind it.

The story (docs: DOMAIN.md §5): a customer buys materials stored in two warehouses; the seller offers to have
everything moved to one warehouse for collection today. This time the seller asks the Riverside team first; they
decline for today (no forklift driver this afternoon) and propose tomorrow morning; the seller takes the
alternative and gives it to the customer before they leave the counter.

Behind it, five months of promises by several sellers and team leads, to the fulfilling teams of the retailer
and the clinic, go through the real actions with the clock set to each step's moment, so the kept-rate
dashboard, the staff scorecards and the wheel's "broken promises" signal show something. Each promise is
written in its customer's language. Skipped for an organization that already has promises.
Every name and sentence here is invented for the demo.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from servicecycle.accounts.models import Customer, Organization, Staff, Team
from servicecycle.catalog.models import Service
from servicecycle.core.errors import DomainError
from servicecycle.promises import actions
from servicecycle.promises.models import Promise, Recovery

DAYS = 150

# a promise's text in the four languages of the app: en, es, ru, ms
Texts = dict[str, str]

TRANSFER_STORY: dict[str, Any] = {
    "organization": "stonebridge",
    "service": "Materials pick-up",
    "moment": "Collects from the second warehouse",
    "team": "Riverside warehouse",
    "promiser": "agent@stonebridge.example",
    "answerer": "lead.river@stonebridge.example",
    "customer": "daniel.price@mail.example",
    "text": {
        "en": "Move the tiles, adhesive and grout from Riverside to North Yard so the whole order can be "
        "collected in one place this afternoon.",
        "es": "Trasladar los azulejos, el adhesivo y la lechada de Riverside a North Yard para recoger todo el "
        "pedido en un solo sitio esta tarde.",
        "ru": "Перевезти плитку, клей и затирку со склада Riverside на North Yard, чтобы весь заказ можно было "
        "забрать в одном месте сегодня днём.",
        "ms": "Pindahkan jubin, pelekat dan grout dari Riverside ke North Yard supaya seluruh pesanan boleh "
        "diambil di satu tempat petang ini.",
    },
    "reason": {
        "en": "Our only forklift driver is off this afternoon; the pallets cannot be moved safely today.",
        "es": "Nuestro único conductor de carretilla no está esta tarde; hoy no podemos mover los palés con seguridad.",
        "ru": "Единственного водителя погрузчика сегодня после обеда нет; безопасно перевезти поддоны сегодня нельзя.",
        "ms": "Satu-satunya pemandu forklift kami bercuti petang ini; palet tidak boleh dipindahkan dengan "
        "selamat hari ini.",
    },
    "alternative": {
        "en": "The whole order waits at North Yard, bay 4, from 08:30 tomorrow morning.",
        "es": "Todo el pedido le espera en North Yard, muelle 4, desde las 08:30 de mañana.",
        "ru": "Весь заказ будет ждать на North Yard, погрузочная зона 4, завтра с 08:30.",
        "ms": "Seluruh pesanan menunggu di North Yard, ruang 4, mulai 08:30 pagi esok.",
    },
}

# organization slug -> [(service, moment, fulfilling team, texts, how often)], the promisers, and how each
# promiser and team tends to do (chance of giving without confirmation, chance of breaking)
HISTORY: dict[str, dict[str, Any]] = {
    "stonebridge": {
        "count": 140,
        "promisers": {
            "agent@stonebridge.example": {"unconfirmed": 0.05, "breaks": 0.04},
            "agent2@stonebridge.example": {"unconfirmed": 0.35, "breaks": 0.12},
            "lead.delivery@stonebridge.example": {"unconfirmed": 0.1, "breaks": 0.06},
            "manager@stonebridge.example": {"unconfirmed": 0.05, "breaks": 0.02},
        },
        "teams": {
            "North Yard warehouse": 0.05,
            "Riverside warehouse": 0.14,
            "Delivery fleet": 0.10,
            "Installation crew": 0.08,
        },
        "promises": [
            (
                "Materials pick-up",
                "Collects from the second warehouse",
                "Riverside warehouse",
                {
                    "en": "Bring the Riverside items of the order to North Yard for a single collection.",
                    "es": "Llevar los artículos del pedido que están en Riverside a North Yard para recogerlo todo "
                    "de una vez.",
                    "ru": "Перевезти товары заказа со склада Riverside на North Yard, чтобы забрать всё за один раз.",
                    "ms": "Bawa barang pesanan di Riverside ke North Yard untuk satu pengambilan sahaja.",
                },
                5,
            ),
            (
                "Materials pick-up",
                "Waits for loading",
                "North Yard warehouse",
                {
                    "en": "Have the order picked and waiting on a pallet at the gate when the customer arrives.",
                    "es": "Tener el pedido preparado en un palé junto a la puerta cuando llegue el cliente.",
                    "ru": "Собрать заказ и поставить его на поддоне у ворот к приезду клиента.",
                    "ms": "Pesanan disediakan di atas palet di pintu pagar apabila pelanggan tiba.",
                },
                4,
            ),
            (
                "Materials pick-up",
                "Checks the goods",
                "North Yard warehouse",
                {
                    "en": "Swap the two cracked blocks for sound ones before the van is loaded.",
                    "es": "Cambiar los dos bloques agrietados por otros en buen estado antes de cargar la furgoneta.",
                    "ru": "Заменить два треснувших блока на целые до погрузки фургона.",
                    "ms": "Tukar dua blok yang retak dengan yang elok sebelum van dimuatkan.",
                },
                2,
            ),
            (
                "Home delivery",
                "Truck arrives",
                "Delivery fleet",
                {
                    "en": "Deliver the order between 08:00 and 10:00 so the builders can start on time.",
                    "es": "Entregar el pedido entre las 08:00 y las 10:00 para que la obra empiece a tiempo.",
                    "ru": "Доставить заказ с 08:00 до 10:00, чтобы строители начали вовремя.",
                    "ms": "Hantar pesanan antara 08:00 dan 10:00 supaya tukang boleh bermula tepat pada masanya.",
                },
                5,
            ),
            (
                "Home delivery",
                "Gets the day-before call",
                "Delivery fleet",
                {
                    "en": "Call the customer the day before with the two-hour window and the driver's name.",
                    "es": "Llamar al cliente el día anterior con la franja de dos horas y el nombre del conductor.",
                    "ru": "Позвонить клиенту накануне и сообщить двухчасовое окно и имя водителя.",
                    "ms": "Telefon pelanggan sehari sebelum dengan tempoh dua jam dan nama pemandu.",
                },
                3,
            ),
            (
                "Home delivery",
                "Goods are unloaded",
                "Delivery fleet",
                {
                    "en": "Unload the plasterboard into the garage, not on the drive.",
                    "es": "Descargar las placas de yeso dentro del garaje, no en la entrada.",
                    "ru": "Выгрузить гипсокартон в гараж, а не на подъездную дорожку.",
                    "ms": "Punggah papan gipsum ke dalam garaj, bukan di laluan masuk.",
                },
                2,
            ),
            (
                "Installation",
                "Crew arrives",
                "Installation crew",
                {
                    "en": "The fitting crew arrives on the agreed morning with every part of the kitchen.",
                    "es": "El equipo de montaje llega la mañana acordada con todas las piezas de la cocina.",
                    "ru": "Бригада монтажников приедет в согласованное утро со всеми деталями кухни.",
                    "ms": "Kru pemasangan tiba pada pagi yang dipersetujui dengan semua bahagian dapur.",
                },
                3,
            ),
            (
                "Installation",
                "Hears about a delay",
                "Installation crew",
                {
                    "en": "Tell the customer by noon whether the worktop arrives in time for Thursday.",
                    "es": "Avisar al cliente antes de mediodía si la encimera llega a tiempo para el jueves.",
                    "ru": "До полудня сообщить клиенту, успеет ли столешница к четвергу.",
                    "ms": "Maklumkan pelanggan sebelum tengah hari sama ada permukaan kerja tiba tepat untuk Khamis.",
                },
                2,
            ),
        ],
    },
    "klinik-senyum": {
        "count": 30,
        "promisers": {
            "agent@senyum.example": {"unconfirmed": 0.15, "breaks": 0.06},
            "manager@senyum.example": {"unconfirmed": 0.05, "breaks": 0.03},
        },
        "teams": {"Doktor gigi": 0.08, "Kaunter penyambut tetamu": 0.05},
        "promises": [
            (
                "Pemeriksaan dan pembersihan gigi",
                "Menerima nasihat",
                "Doktor gigi",
                {
                    "en": "Email the X-ray copies and the treatment plan before 17:00.",
                    "es": "Enviar por correo las copias de las radiografías y el plan de tratamiento antes de las "
                    "17:00.",
                    "ru": "Отправить копии рентгеновских снимков и план лечения по почте до 17:00.",
                    "ms": "E-melkan salinan X-ray dan pelan rawatan sebelum 5 petang.",
                },
                3,
            ),
            (
                "Pemeriksaan dan pembersihan gigi",
                "Menempah lawatan seterusnya",
                "Kaunter penyambut tetamu",
                {
                    "en": "Keep a Saturday morning slot for the next visit and confirm it by text message.",
                    "es": "Reservar un hueco el sábado por la mañana para la próxima visita y confirmarlo por SMS.",
                    "ru": "Оставить время в субботу утром для следующего визита и подтвердить его по SMS.",
                    "ms": "Simpan slot pagi Sabtu untuk lawatan seterusnya dan sahkan melalui SMS.",
                },
                2,
            ),
        ],
    },
}

UNCONFIRMED_REASON = {
    "en": "The customer could not wait for the team's answer.",
    "ms": "Pelanggan tidak dapat menunggu jawapan pasukan.",
}
WITHDRAW_REASON = {"en": "The customer changed the order.", "ms": "Pelanggan menukar pesanan."}
DECLINE_REASON = {"en": "No capacity at that time.", "ms": "Tiada kapasiti pada masa itu."}
APOLOGY = {
    "en": "We called to apologise and explained what went wrong.",
    "ms": "Kami menelefon untuk memohon maaf dan menerangkan apa yang berlaku.",
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


def load_promises() -> None:
    """Create the demo promises of every demo organization that has none yet."""
    for slug, spec in HISTORY.items():
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None or Promise.objects.filter(organization=organization).exists():
            continue
        with transaction.atomic():
            rng = random.Random(f"promises-{slug}")
            _history(organization, spec, rng)
            _open_now(organization, spec, rng)
            if TRANSFER_STORY["organization"] == slug:
                _transfer_story(organization)


def _staff(organization: Organization, email: str) -> Staff:
    return Staff.objects.select_related("user", "organization").get(organization=organization, user__username=email)


def _answerer(organization: Organization, team: Team) -> Staff:
    """Who answers for the team: its lead, else any member, else a manager."""
    members = list(Staff.objects.filter(teams=team).exclude(role="viewer").select_related("user").order_by("pk"))
    leads = [m for m in members if m.role == "team_lead"]
    if leads or members:
        return (leads or members)[0]
    return Staff.objects.select_related("user").filter(organization=organization, role="manager").first() or members[0]


def _text(texts: Texts, language: str) -> str:
    return texts.get(language) or texts["en"]


def _local(organization: Organization, text_key: dict[str, str]) -> str:
    return text_key.get(organization.default_language) or text_key["en"]


def _history(organization: Organization, spec: dict[str, Any], rng: random.Random) -> None:
    zone = ZoneInfo(organization.time_zone)
    now = timezone.now()
    promisers = {email: (_staff(organization, email), odds) for email, odds in spec["promisers"].items()}
    teams = {name: Team.objects.get(organization=organization, name=name) for name in spec["teams"]}
    answerers = {name: _answerer(organization, team) for name, team in teams.items()}
    customers = list(Customer.objects.filter(organization=organization))
    templates = spec["promises"]
    services = {s.name: s for s in Service.objects.filter(organization=organization)}
    for _ in range(spec["count"]):
        weights = [t[4] for t in templates]
        service_name, moment_name, team_name, texts, _weight = rng.choices(templates, weights=weights)[0]
        service = services[service_name]
        moment = service.moments.filter(name=moment_name).first()
        promiser, odds = promisers[rng.choice(list(promisers))]
        customer = rng.choice(customers)
        day = (now - timedelta(days=rng.randint(0, DAYS))).astimezone(zone).date()
        made = datetime.combine(day, time(rng.randint(9, 16), rng.randint(0, 59)), tzinfo=zone)
        if made > now - timedelta(hours=1):
            continue
        due = made + timedelta(minutes=rng.choice((180, 240, 360, 1200, 1440, 2880, 4320)))
        _one_promise(
            rng,
            organization,
            promiser=promiser,
            odds=odds,
            team=teams[team_name],
            team_breaks=spec["teams"][team_name],
            answerer=answerers[team_name],
            service=service,
            moment_id=moment.pk if moment else None,
            customer=customer,
            text=_text(texts, customer.preferred_language),
            made=made,
            due=due,
            now=now,
        )


def _open_now(organization: Organization, spec: dict[str, Any], rng: random.Random) -> None:
    """A few promises in progress right now: requests waiting for the teams, confirmed ones not yet given, and
    given ones due in the coming days (one of them given without confirmation)."""
    now = timezone.now()
    customers = list(Customer.objects.filter(organization=organization))
    services = {s.name: s for s in Service.objects.filter(organization=organization)}
    emails = list(spec["promisers"])
    for index, stage in enumerate(("awaiting", "awaiting", "confirmed", "given", "given", "unconfirmed")):
        service_name, moment_name, team_name, texts, _weight = spec["promises"][index % len(spec["promises"])]
        service = services[service_name]
        moment = service.moments.filter(name=moment_name).first()
        team = Team.objects.get(organization=organization, name=team_name)
        promiser = _staff(organization, emails[index % len(emails)])
        customer = customers[index % len(customers)]
        promise = actions.create_promise(
            acting_user=promiser.user,
            service_id=service.pk,
            fulfilling_team_id=team.pk,
            text=_text(texts, customer.preferred_language),
            due_at=now + timedelta(hours=rng.choice((5, 20, 28, 50, 75))),
            customer_id=customer.pk,
            moment_id=moment.pk if moment else None,
        )
        if stage == "unconfirmed":
            actions.give(
                acting_user=promiser.user, promise=promise, unconfirmed_reason=_local(organization, UNCONFIRMED_REASON)
            )
            continue
        promise = actions.request_confirmation(acting_user=promiser.user, promise=promise)
        if stage == "awaiting":
            continue
        promise = actions.confirm(acting_user=_answerer(organization, team).user, promise=promise)
        if stage == "given":
            actions.give(acting_user=promiser.user, promise=promise)


def _one_promise(
    rng: random.Random,
    organization: Organization,
    *,
    promiser: Staff,
    odds: dict[str, float],
    team: Team,
    team_breaks: float,
    answerer: Staff,
    service: Service,
    moment_id: int | None,
    customer: Customer,
    text: str,
    made: datetime,
    due: datetime,
    now: datetime,
) -> None:
    user = promiser.user
    with _clock(made):
        promise = actions.create_promise(
            acting_user=user,
            service_id=service.pk,
            fulfilling_team_id=team.pk,
            text=text,
            due_at=due,
            customer_id=customer.pk,
            moment_id=moment_id,
        )
    at = made

    def step(minutes: int) -> datetime | None:
        nonlocal at
        at = at + timedelta(minutes=minutes)
        return at if at < now else None

    try:
        unconfirmed = rng.random() < odds["unconfirmed"]
        if unconfirmed:
            if (when := step(rng.randint(1, 4))) is None:
                return
            with _clock(when):
                promise = actions.give(
                    acting_user=user, promise=promise, unconfirmed_reason=_local(organization, UNCONFIRMED_REASON)
                )
        else:
            if (when := step(1)) is None:
                return
            with _clock(when):
                promise = actions.request_confirmation(acting_user=user, promise=promise)
            if (when := step(rng.choice((4, 9, 15, 25, 40, 70, 120)))) is None:
                return
            with _clock(when):
                if rng.random() < 0.12:
                    alternative_due = promise.due_at + timedelta(days=1)
                    promise = actions.decline(
                        acting_user=answerer.user,
                        promise=promise,
                        reason=_local(organization, DECLINE_REASON),
                        alternative_text=promise.text,
                        alternative_due_at=alternative_due,
                    )
                    due = alternative_due
                else:
                    promise = actions.confirm(acting_user=answerer.user, promise=promise)
            if promise.state == "declined":
                if (when := step(3)) is None:
                    return
                with _clock(when):
                    promise = actions.accept_alternative(acting_user=user, promise=promise)
            if (when := step(rng.randint(1, 5))) is None:
                return
            if rng.random() < 0.04:
                with _clock(when):
                    actions.withdraw(acting_user=user, promise=promise, reason=_local(organization, WITHDRAW_REASON))
                return
            with _clock(when):
                promise = actions.give(acting_user=user, promise=promise)
        breaks = odds["breaks"] + team_breaks + (0.2 if unconfirmed else 0.0)
        if rng.random() < breaks:
            broken_at = due + timedelta(minutes=1)
            if broken_at >= now:
                return
            with _clock(broken_at):
                actions.handle_promise_deadline(promise_id=promise.pk)
            promise = Promise.objects.get(pk=promise.pk)
            recovered_at = broken_at + timedelta(hours=rng.randint(1, 20))
            if recovered_at >= now or rng.random() < 0.15:
                return  # still waiting for its recovery: the list shows it
            _recover(rng, organization, user, promise, recovered_at)
            return
        kept_at = due - timedelta(minutes=rng.randint(5, 150))
        kept_at = max(kept_at, at + timedelta(minutes=1))
        if kept_at >= now or kept_at >= due:
            return
        with _clock(kept_at):
            actions.mark_kept(acting_user=answerer.user, promise=promise)
    except DomainError:
        return  # a rare clash of random times (e.g. the due time passed before giving): leave it as it is


def _recover(rng: random.Random, organization: Organization, user: Any, promise: Promise, when: datetime) -> None:
    kind = rng.choice((Recovery.APOLOGY, Recovery.APOLOGY, Recovery.NEW_DATE, Recovery.COMPENSATION))
    fields: dict[str, Any] = {"recovery": kind, "note": _local(organization, APOLOGY)}
    if kind == Recovery.NEW_DATE:
        fields["new_due_at"] = when + timedelta(days=1)
    if kind == Recovery.COMPENSATION:
        fields["amount"] = Decimal(rng.choice((10, 15, 20, 25, 40)))
    with _clock(when):
        actions.record_recovery(acting_user=user, promise=promise, **fields)


def _transfer_story(organization: Organization) -> None:
    """Today: the seller asks Riverside first, Riverside declines for today and proposes tomorrow morning, and the
    seller gives the alternative to the customer before they leave."""
    story = TRANSFER_STORY
    zone = ZoneInfo(organization.time_zone)
    seller = _staff(organization, story["promiser"])
    answerer = _staff(organization, story["answerer"])
    customer = Customer.objects.get(organization=organization, email=story["customer"])
    language = customer.preferred_language
    service = Service.objects.get(organization=organization, name=story["service"])
    moment = service.moments.filter(name=story["moment"]).first()
    team = Team.objects.get(organization=organization, name=story["team"])
    now = timezone.now()
    today = now.astimezone(zone).date()
    this_afternoon = datetime.combine(today, time(17, 0), tzinfo=zone)
    tomorrow_morning = datetime.combine(today + timedelta(days=1), time(8, 30), tzinfo=zone)
    promise = actions.create_promise(
        acting_user=seller.user,
        service_id=service.pk,
        fulfilling_team_id=team.pk,
        text=_text(story["text"], language),
        due_at=this_afternoon if this_afternoon > now + timedelta(minutes=30) else now + timedelta(hours=3),
        customer_id=customer.pk,
        moment_id=moment.pk if moment else None,
    )
    promise = actions.request_confirmation(acting_user=seller.user, promise=promise)
    promise = actions.decline(
        acting_user=answerer.user,
        promise=promise,
        reason=_text(story["reason"], organization.default_language),
        alternative_text=_text(story["alternative"], language),
        alternative_due_at=tomorrow_morning,
    )
    promise = actions.accept_alternative(acting_user=seller.user, promise=promise)
    actions.give(acting_user=seller.user, promise=promise)
