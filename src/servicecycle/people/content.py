"""The fixed texts of the people pages: the service-attitude checklist for selecting staff, its thresholds,
and the questions of the internal pulse in which staff rate their manager.

Both lists are fixed so that assessments and rounds stay comparable over time; a key, once used, is never
reused for another meaning (stored scores refer to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Criterion:
    key: str
    title: Promise
    hint: Promise


# What we look for in someone who will serve customers: the candidate's own stories and behaviour in the
# interview, scored 1 (no sign of it) to 5 (clear, repeated evidence).
CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "enjoys_helping",
        _("Enjoys helping people"),
        _("Talks with warmth about times they helped someone, at work or elsewhere, without being asked."),
    ),
    Criterion(
        "listens",
        _("Listens before answering"),
        _("Lets you finish, asks a question back, and answers what was actually asked."),
    ),
    Criterion(
        "owns_problems",
        _("Takes problems as their own"),
        _("Describes following a problem through to the end instead of passing it on."),
    ),
    Criterion(
        "calm_under_pressure",
        _("Stays calm with upset people"),
        _("Gives a concrete example of an angry or anxious person and how they settled things."),
    ),
    Criterion(
        "explains_clearly",
        _("Explains things plainly"),
        _("Can explain something from their past work so that a stranger understands it the first time."),
    ),
    Criterion(
        "flexible",
        _("Bends the routine for a good reason"),
        _("Knows when a rule serves the customer and when an exception would serve them better."),
    ),
    Criterion(
        "team_player",
        _("Works well with colleagues"),
        _("Speaks of earlier teams with respect and shares credit for what went well."),
    ),
    Criterion(
        "learns",
        _("Wants to keep learning"),
        _("Names something they learned recently and how it changed the way they work."),
    ),
)
CRITERIA_BY_KEY = {c.key: c for c in CRITERIA}
SCORE_MIN = 1
SCORE_MAX = 5

# recommendation from the mean of the scores
HIRE_FROM = Decimal("4.0")  # mean >= 4.0: recommend
CONSIDER_FROM = Decimal("3.0")  # 3.0 <= mean < 4.0: consider, check the weak points; below: do not recommend


@dataclass(frozen=True)
class PulseQuestion:
    key: str
    text: Promise


# Staff rate the manager they report to, 1 (strongly disagree) to 5 (strongly agree): treat staff the way they
# should treat customers, and judge managers by how their own people rate them.
PULSE_QUESTIONS: tuple[PulseQuestion, ...] = (
    PulseQuestion("q1", _("My manager makes sure I have what I need to serve customers well.")),
    PulseQuestion("q2", _("My manager listens when I bring up a customer's problem.")),
    PulseQuestion("q3", _("My manager backs me when I put things right for a customer.")),
    PulseQuestion("q4", _("My manager tells me how my work is going, fairly and often.")),
    PulseQuestion("q5", _("My manager treats me the way we want customers to be treated.")),
    PulseQuestion("q6", _("I would tell a friend that working for my manager is good.")),
)
# results for a manager are shown only from this many answers, so that nobody's answer can be singled out
MIN_ANSWERS_SHOWN = 3
