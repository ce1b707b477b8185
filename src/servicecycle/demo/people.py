"""Demo people data for Stonebridge: courses and completions (some refreshers overdue, one course never taken
by a newcomer), three assessed candidates and one finished round of the staff pulse."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from servicecycle.accounts.models import Organization, Staff
from servicecycle.people import actions
from servicecycle.people.content import CRITERIA, PULSE_QUESTIONS
from servicecycle.people.models import Course

SLUG = "stonebridge"

# name, description, front line only, refresher months
COURSES = [
    (
        "Welcoming customers at the counter",
        "Greeting, listening to the whole request, and saying what happens next.",
        True,
        12,
    ),
    (
        "Putting things right after a complaint",
        "Apologise, fix, follow up: the recovery steps and what each of us may offer on the spot.",
        True,
        24,
    ),
    (
        "Product knowledge: building materials",
        "Timber, blocks, cement and fixings: what to recommend for which job.",
        False,
        None,
    ),
    ("Yard health and safety", "Moving around the yards, forklifts, lifting and protective equipment.", False, 12),
]

# email -> {course index: months ago of the latest completion}; a missing course was never taken
COMPLETIONS: dict[str, dict[int, int]] = {
    "admin@stonebridge.example": {2: 30, 3: 5},
    "manager@stonebridge.example": {2: 20, 3: 13},  # safety refresher overdue
    "lead.north@stonebridge.example": {0: 11, 1: 8, 2: 40, 3: 2},  # welcome refresher due within the month
    "lead.river@stonebridge.example": {0: 4, 1: 26, 2: 18, 3: 6},  # complaint refresher overdue
    "lead.delivery@stonebridge.example": {0: 7, 1: 10, 2: 9, 3: 14},  # safety overdue
    "agent@stonebridge.example": {0: 15, 1: 3, 2: 12, 3: 4},  # welcome refresher overdue
    "agent2@stonebridge.example": {0: 1, 2: 1},  # a newcomer: complaints and safety not taken yet
}

# name, role applied for, days ago, mean-ish score
CANDIDATES = [
    ("Jordan Blake", "Trade counter seller", 12, 4.4),
    ("Dana Whitfield", "Customer care adviser", 9, 3.4),
    ("Casey Lin", "Delivery driver", 5, 2.5),
]
CANDIDATE_NOTES = {
    "enjoys_helping": "Spoke warmly about helping neighbours with DIY.",
    "calm_under_pressure": "Good example of a late delivery handled calmly.",
}


@contextmanager
def _clock(moment: datetime) -> Iterator[None]:
    """Run the actions as if it were ``moment`` (demo history only)."""
    real_now = timezone.now
    timezone.now = lambda: moment  # type: ignore[assignment]
    try:
        yield
    finally:
        timezone.now = real_now  # type: ignore[assignment]


def _months_ago(today: date, months: int, rng: random.Random) -> date:
    from servicecycle.people.queries import add_months

    return add_months(today, -months) - timedelta(days=rng.randint(0, 9))


def load_people() -> None:
    """Create the people demo of Stonebridge unless it has courses already."""
    organization = Organization.objects.filter(slug=SLUG).first()
    if organization is None or Course.objects.filter(organization=organization).exists():
        return
    with transaction.atomic():
        _load(organization, random.Random("people-stonebridge"))


def _load(organization: Organization, rng: random.Random) -> None:
    staff = {s.user.username: s for s in Staff.objects.filter(organization=organization).select_related("user")}
    manager = staff["manager@stonebridge.example"]
    zone = ZoneInfo(organization.time_zone)
    today = timezone.now().astimezone(zone).date()
    courses = [
        actions.create_course(
            acting_user=manager.user, name=name, description=text, front_line_only=front, refresher_months=months
        )
        for name, text, front, months in COURSES
    ]
    for email, done in COMPLETIONS.items():
        person = staff.get(email)
        if person is None:
            continue
        for index, months_ago in done.items():
            actions.record_completions(
                acting_user=manager.user,
                course=courses[index],
                staff_ids=[person.pk],
                completed_on=_months_ago(today, months_ago, rng),
                score=rng.randint(72, 98),
                passed=True,
            )
    for name, role, days_ago, level in CANDIDATES:
        actions.create_candidate(
            acting_user=manager.user,
            name=name,
            role_applied=role,
            assessed_on=today - timedelta(days=days_ago),
            interviewer_id=manager.pk,
            scores={c.key: max(1, min(5, round(level + rng.uniform(-0.9, 0.9)))) for c in CRITERIA},
            notes=CANDIDATE_NOTES if level >= 4 else {},
        )
    _pulse(organization, staff, today, zone, rng)


def _pulse(
    organization: Organization, staff: dict[str, Staff], today: date, zone: ZoneInfo, rng: random.Random
) -> None:
    """A finished round, five weeks ago: everyone rates the service manager, the administrator also rates the
    North Yard lead (one answer, so that result stays hidden)."""
    manager = staff["manager@stonebridge.example"]
    opened = datetime.combine(today - timedelta(days=40), time(9), tzinfo=zone)
    with _clock(opened):
        pulse = actions.open_round(
            acting_user=manager.user, title="Autumn staff pulse", closes_on=(opened + timedelta(days=14)).date()
        )
    raters = [s for email, s in staff.items() if s.role != "viewer" and s.pk != manager.pk]
    for day, person in enumerate(raters, start=1):
        with _clock(opened + timedelta(days=day, hours=rng.randint(0, 6))):
            actions.answer_round(
                acting_user=person.user,
                pulse=pulse,
                manager_id=manager.pk,
                scores={q.key: max(1, min(5, round(rng.gauss(3.9, 0.8)))) for q in PULSE_QUESTIONS},
            )
    north = staff.get("lead.north@stonebridge.example")
    admin = staff["admin@stonebridge.example"]
    if north is not None:
        with _clock(opened + timedelta(days=2)):
            actions.answer_round(
                acting_user=admin.user,
                pulse=pulse,
                manager_id=north.pk,
                scores={q.key: 4 for q in PULSE_QUESTIONS},
            )
    with _clock(opened + timedelta(days=14, hours=18)):
        actions.close_round(acting_user=manager.user, pulse=pulse)
