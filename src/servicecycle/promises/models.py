"""Promises made to customers about work another team must do: confirmed before they are given, then kept.

A promise's life (see ``actions``): draft -> awaiting confirmation -> confirmed | declined (with a reason and
an alternative) -> given -> kept | broken -> (recovered); withdrawn from any open state. A promise may be
given without confirmation only with a reason, and then carries ``given_unconfirmed`` for good.
Like cases, the next instant that needs attention is kept as columns (``confirm_due_at``, ``risk_at``,
``due_at``) so the periodic sweep reads only rows whose instant has passed.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicecycle.accounts.models import Customer, Organization, Staff, Team
from servicecycle.cases.models import Case
from servicecycle.catalog.models import Service
from servicecycle.cycles.models import Moment


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING = "awaiting", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed by the team")
    DECLINED = "declined", _("Declined by the team")
    GIVEN = "given", _("Given to the customer")
    KEPT = "kept", _("Kept")
    BROKEN = "broken", _("Broken")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATES = (State.DRAFT, State.AWAITING, State.CONFIRMED, State.DECLINED, State.GIVEN)
# a promise the customer is waiting on past its due time: confirmed or given and late, or broken and not yet
# repaired (the promise list's "overdue" filter, the customer's page)
OVERDUE_STATES = (State.CONFIRMED, State.GIVEN, State.BROKEN)
FINAL_STATES = (State.KEPT, State.BROKEN, State.WITHDRAWN)


class Recovery(models.TextChoices):
    APOLOGY = "apology", _("Apology")
    NEW_DATE = "new_date", _("New date agreed with the customer")
    COMPENSATION = "compensation", _("Compensation")


class PromiseSettings(models.Model):
    """Per organization: how fast a team must answer a confirmation request, and when a promise is at risk."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="promise_settings")
    confirm_within_minutes = models.PositiveIntegerField(_("teams answer within (business minutes)"), default=60)
    at_risk_minutes = models.PositiveIntegerField(_("at risk this long before due (minutes)"), default=120)

    class Meta:
        verbose_name = _("promise settings")

    def __str__(self) -> str:
        return str(self.organization)


class Promise(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="promises")
    promiser = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="promises_made", verbose_name=_("promised by")
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="promises", verbose_name=_("customer")
    )
    customer_name = models.CharField(_("customer name"), max_length=200, blank=True)  # when not on file
    customer_email = models.EmailField(_("customer email"), blank=True)
    language = models.CharField(_("customer's language"), max_length=5, blank=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="promises", verbose_name=_("service"))
    moment = models.ForeignKey(
        Moment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promises",
        verbose_name=_("moment of truth"),
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="promises", verbose_name=_("case")
    )
    fulfilling_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="promises_to_fulfil", verbose_name=_("team that must fulfil it")
    )
    text = models.TextField(_("what is promised"))
    due_at = models.DateTimeField(_("due"))
    original_due_at = models.DateTimeField(null=True, blank=True)  # before a new date was agreed
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)

    # asking the fulfilling team
    requested_at = models.DateTimeField(null=True, blank=True)
    confirm_due_at = models.DateTimeField(null=True, blank=True)  # on the organization's business clock
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    declined_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decline_reason = models.TextField(_("why not"), blank=True)
    alternative_text = models.TextField(_("proposed instead"), blank=True)
    alternative_due_at = models.DateTimeField(_("proposed due"), null=True, blank=True)

    # giving it and the outcome
    given_at = models.DateTimeField(null=True, blank=True)
    given_unconfirmed = models.BooleanField(default=False)
    unconfirmed_reason = models.TextField(_("why it was given without confirmation"), blank=True)
    kept_at = models.DateTimeField(null=True, blank=True)
    broken_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdraw_reason = models.TextField(_("why it was withdrawn"), blank=True)
    recovery = models.CharField(_("recovery"), max_length=14, choices=Recovery.choices, blank=True)
    recovery_note = models.TextField(_("what was done"), blank=True)
    recovery_amount = models.DecimalField(
        _("compensation amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    recovery_due_at = models.DateTimeField(_("new date agreed"), null=True, blank=True)
    recovered_at = models.DateTimeField(null=True, blank=True)

    # tracking: the next instant to look at again, and how far it has been escalated
    risk_at = models.DateTimeField(null=True, blank=True)
    risk_notified = models.BooleanField(default=False)
    escalation_level = models.PositiveSmallIntegerField(default=0)  # 0 none, 1 team lead, 2 managers

    status_token_hash = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    idempotency_fingerprint = models.CharField(max_length=64, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="unique_promise_idempotency_key",
            ),
            models.CheckConstraint(
                condition=Q(given_unconfirmed=False) | ~Q(unconfirmed_reason=""),
                name="promise_unconfirmed_needs_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "state", "due_at"], name="promise_org_state_due_idx"),
            models.Index(fields=["fulfilling_team", "state", "due_at"], name="promise_team_state_due_idx"),
            models.Index(fields=["promiser", "state"], name="promise_promiser_state_idx"),
            models.Index(fields=["confirm_due_at"], name="promise_confirm_due_idx", condition=Q(state="awaiting")),
            models.Index(fields=["risk_at"], name="promise_risk_idx", condition=Q(state__in=["confirmed", "given"])),
            models.Index(fields=["due_at"], name="promise_open_due_idx", condition=Q(state__in=["confirmed", "given"])),
        ]
        verbose_name = _("promise")

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_overdue(self, now: datetime) -> bool:
        """Past due with the customer still waiting (the same rule as ``overdue_filter``)."""
        return self.state in OVERDUE_STATES and self.due_at < now and self.recovered_at is None


def overdue_filter(now: datetime) -> Q:
    """The promises past due with the customer still waiting: confirmed or given and late, or broken and not yet
    repaired."""
    return Q(state__in=OVERDUE_STATES, due_at__lt=now, recovered_at__isnull=True)


class Dimension(models.TextChoices):
    TEAM = "team", _("Team")
    STAFF = "staff", _("Staff member")
    SERVICE = "service", _("Service")
    MOMENT = "moment", _("Moment of truth")


class PromiseFigures(models.Model):
    """The kept-rate figures of one organization's promises due on one day, per team, staff member (promiser),
    service or moment: sums the dashboard adds up instead of reading every promise.

    ``day`` is the due date in the organization's time zone. Kept exact by ``promises.figures.refresh_figures``,
    which every write to a counted field of a promise calls inside its own transaction (see ``figures``).
    ``confirm_microseconds`` sums ``confirmed_at - requested_at`` over the ``confirm_count`` promises where both
    are set (microseconds, so the mean equals the one computed from the rows themselves).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    dimension = models.CharField(max_length=7, choices=Dimension.choices)
    key_id = models.IntegerField()  # the id of the team, staff member, service or moment
    given = models.PositiveIntegerField(default=0)
    kept = models.PositiveIntegerField(default=0)
    broken = models.PositiveIntegerField(default=0)
    unconfirmed = models.PositiveIntegerField(default=0)
    confirm_microseconds = models.BigIntegerField(default=0)
    confirm_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "day", "dimension", "key_id"], name="unique_promise_figures_day_key"
            ),
        ]
        indexes = [models.Index(fields=["organization", "dimension", "day"], name="promise_figures_dim_day_idx")]
        verbose_name = _("promise figures of a day")

    def __str__(self) -> str:
        return f"{self.day} {self.dimension} {self.key_id}"


class TeamCalendarFeed(models.Model):
    """The private token of a team's iCalendar feed of due promises (only its hash is stored)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="promise_calendar")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.team)
