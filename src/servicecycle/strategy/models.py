"""Demand history of a service and the life-cycle stage changes detected from it."""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from servicecycle.catalog.models import Service


class Stage(models.TextChoices):
    INTRODUCTION = "introduction", _("Introduction")
    GROWTH = "growth", _("Growth")
    MATURITY = "maturity", _("Maturity")
    DECLINE = "decline", _("Decline")


class DemandHistory(models.Model):
    """How a service's demand history is read: whether it starts at the service's launch."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="demand_history")
    from_launch = models.BooleanField(
        _("the history starts at the launch"),
        default=False,
        help_text=_("Periods before the first growth then count as introduction."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("demand history")

    def __str__(self) -> str:
        return str(self.service)


class DemandPeriod(models.Model):
    """Real demand of a service in one period; ``position`` keeps the periods in time order."""

    class Source(models.TextChoices):
        ENTERED = "entered", _("Entered")
        IMPORTED = "imported", _("Imported")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="demand_periods")
    position = models.PositiveIntegerField(_("order"))
    period = models.CharField(_("period"), max_length=10)
    demand = models.DecimalField(_("demand"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)])
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.ENTERED)

    class Meta:
        ordering = ["service", "position"]
        constraints = [
            models.UniqueConstraint(fields=["service", "period"], name="unique_demand_period"),
            models.UniqueConstraint(fields=["service", "position"], name="unique_demand_position"),
        ]
        verbose_name = _("demand period")

    def __str__(self) -> str:
        return f"{self.service}: {self.period} = {self.demand}"


class StageChange(models.Model):
    """The service's life-cycle stage moved (``from_stage`` is blank for the first stage detected)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(_("from stage"), max_length=12, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to stage"), max_length=12, choices=Stage.choices)
    evidence_period = models.CharField(_("evidence period"), max_length=10)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("stage change")

    def __str__(self) -> str:
        return f"{self.service}: {self.from_stage or '-'} -> {self.to_stage} ({self.evidence_period})"


# Period labels: a year, half, quarter or month. All periods of one history use the same form.
_PERIOD_FORMS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    ("year", re.compile(r"^(\d{4})(?:\.0+)?$"), 1),
    ("half", re.compile(r"^(\d{4})-?H([12])$", re.IGNORECASE), 2),
    ("quarter", re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE), 4),
    ("month", re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), 12),
)


def parse_period(label: str) -> tuple[str, int, str] | None:
    """(form, index in time, normalized label) of a period label, or None when it is not one of the forms."""
    text = label.strip()
    for form, pattern, per_year in _PERIOD_FORMS:
        match = pattern.match(text)
        if match:
            year = int(match.group(1))
            part = int(match.group(2)) if per_year > 1 else 1
            return form, year * per_year + part - 1, period_label(form, year * per_year + part - 1)
    return None


def period_label(form: str, index: int) -> str:
    """The label of the period at ``index`` (as returned by ``parse_period``) in the given form."""
    per_year = {name: n for name, _pattern, n in _PERIOD_FORMS}[form]
    year, part = divmod(index, per_year)
    if form == "year":
        return str(year)
    if form == "half":
        return f"{year}-H{part + 1}"
    if form == "quarter":
        return f"{year}-Q{part + 1}"
    return f"{year}-{part + 1:02d}"


class SelfAssessment(models.Model):
    """One sitting of the self-assessment: its answers and the totals computed from them when it was saved."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="self_assessments")
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="self_assessments",
        verbose_name=_("service"),
        help_text=_("Leave empty to assess the organization as a whole."),
    )
    taken_on = models.DateField(_("taken on"))
    taken_by = models.ForeignKey(
        "accounts.Staff", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    need_total = models.PositiveSmallIntegerField(_("service share of the need"))
    competitors_total = models.PositiveSmallIntegerField(_("room left by competitors"))
    expectations_total = models.PositiveSmallIntegerField(_("customer expectations"))
    total = models.PositiveSmallIntegerField(_("total"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_on", "-id"]
        indexes = [models.Index(fields=["organization", "-taken_on", "-id"], name="self_assessment_history_idx")]
        verbose_name = _("self-assessment")

    def __str__(self) -> str:
        return f"{self.service or self.organization}: {self.taken_on} = {self.total}"


class SelfAssessmentAnswer(models.Model):
    """The answer to one item of the questionnaire (items are defined in strategy/assessment.py)."""

    assessment = models.ForeignKey(SelfAssessment, on_delete=models.CASCADE, related_name="answers")
    item = models.CharField(_("item"), max_length=40)
    score = models.PositiveSmallIntegerField(_("score"))

    class Meta:
        ordering = ["assessment", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "item"], name="one_answer_per_item"),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="answer_on_the_scale"),
        ]
        verbose_name = _("self-assessment answer")

    def __str__(self) -> str:
        return f"{self.item} = {self.score}"


# --- Strategy worksheet (the three decisions per service) and comparison shopping ---------------------------

DEFAULT_PARITY_MARGIN = Decimal("0.25")
MAX_PARITY_MARGIN = Decimal("2.00")


class StrategyWorksheet(models.Model):
    """The manager's settings of a service's strategy worksheet; a service without one uses the defaults."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="strategy_worksheet")
    parity_margin = models.DecimalField(
        _("parity margin (points)"),
        max_digits=3,
        decimal_places=2,
        default=DEFAULT_PARITY_MARGIN,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_PARITY_MARGIN)],
        help_text=_(
            "Our score within this many points of a competitor's counts as parity; further above is a lead, "
            "further below is behind."
        ),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(parity_margin__gte=0, parity_margin__lte=MAX_PARITY_MARGIN),
                name="worksheet_parity_margin_range",
            )
        ]
        verbose_name = _("strategy worksheet")

    def __str__(self) -> str:
        return str(self.service)


SHOPPING_SCORE_MIN, SHOPPING_SCORE_MAX = 1, 5


class ShoppingAudit(models.Model):
    """One mystery-shopping visit to an outlet, ours or a competitor's, scored against the service's cycle."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="shopping_audits")
    outlet_name = models.CharField(_("outlet"), max_length=160)
    competitor_name = models.CharField(
        _("competitor"), max_length=120, blank=True, help_text=_("Empty when the outlet is one of ours.")
    )
    visited_on = models.DateField(_("visited on"))
    shopper = models.CharField(_("shopper"), max_length=160)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["service", "-visited_on", "-id"], name="shopping_audit_service_idx")]
        verbose_name = _("comparison-shopping audit")

    def __str__(self) -> str:
        return f"{self.outlet_name}, {self.visited_on}"

    @property
    def ours(self) -> bool:
        return not self.competitor_name


class ShoppingScore(models.Model):
    """The score (1-5) an audit gave one moment of truth of the service's cycle."""

    audit = models.ForeignKey(ShoppingAudit, on_delete=models.CASCADE, related_name="scores")
    moment = models.ForeignKey("cycles.Moment", on_delete=models.CASCADE, related_name="shopping_scores")
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(SHOPPING_SCORE_MIN), MaxValueValidator(SHOPPING_SCORE_MAX)]
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["audit", "moment__position"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "moment"], name="one_shopping_score_per_moment"),
            models.CheckConstraint(
                condition=models.Q(score__gte=SHOPPING_SCORE_MIN, score__lte=SHOPPING_SCORE_MAX),
                name="shopping_score_1_to_5",
            ),
        ]
        verbose_name = _("comparison-shopping score")

    def __str__(self) -> str:
        return f"{self.moment_id} = {self.score}"


def shopping_photo_path(instance: ShoppingPhoto, filename: str) -> str:
    # the stored name is random; the shopper's own file name is kept in original_name only
    import secrets
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()[:10]
    return f"shopping/{instance.audit.service_id}/{instance.audit_id}/{secrets.token_hex(12)}{suffix}"


class ShoppingPhoto(models.Model):
    """A picture taken on a comparison-shopping visit (checked by content, stored under a random name)."""

    audit = models.ForeignKey(ShoppingAudit, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("file"), upload_to=shopping_photo_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comparison-shopping photo")

    def __str__(self) -> str:
        return self.original_name
