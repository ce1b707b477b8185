"""Cases: complaints, claims, suggestions, compliments and questions, handled along the ISO 10002 steps.

A case keeps its next SLA deadline as columns (`sla_target`, `warn_at`, `due_at`, `sla_state`), like
Healthchecks' `alert_after`: the actions recompute them on every change, and the sweep in tasks.py only
reads rows whose stored instant has passed (a partial index covers the open, timed rows).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicecycle.accounts.models import LANGUAGE_CHOICES, Customer, Organization, Staff, Team
from servicecycle.catalog.models import Service
from servicecycle.cycles.models import Moment


class Category(models.Model):
    """An organization's own way of sorting cases (e.g. "Late delivery", "Billing")."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="case_categories")
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="unique_case_category_name")]
        verbose_name = _("case category")

    def __str__(self) -> str:
        return self.name


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    CLAIM = "claim", _("Claim")
    SUGGESTION = "suggestion", _("Suggestion")
    COMPLIMENT = "compliment", _("Compliment")
    QUESTION = "question", _("Question")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class SlaTarget(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class SlaPolicy(models.Model):
    """Targets in business minutes for one kind and priority of case; an empty target means no target."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sla_policies")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    acknowledgement_minutes = models.PositiveIntegerField(_("acknowledge within (business minutes)"), null=True)
    first_response_minutes = models.PositiveIntegerField(_("first response within (business minutes)"), null=True)
    resolution_minutes = models.PositiveIntegerField(_("resolve within (business minutes)"), null=True)

    class Meta:
        ordering = ["kind", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "priority"], name="one_sla_policy_per_kind_priority"
            )
        ]
        verbose_name = _("SLA policy")

    def __str__(self) -> str:
        return f"{self.kind}/{self.priority}"

    def minutes_for(self, target: str) -> int | None:
        value: int | None = getattr(self, f"{target}_minutes")
        return value


class CaseSequence(models.Model):
    """The last reference number given per organization and year (allocated under a row lock)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "year"], name="one_case_sequence_per_year")]

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ASSESSED = "assessed", _("Assessed")
    INVESTIGATING = "investigating", _("Investigating")
    RESPONSE_DECIDED = "response_decided", _("Response decided")
    COMMUNICATED = "communicated", _("Response communicated")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


class SlaState(models.TextChoices):
    NONE = "none", _("No target")
    ON_TRACK = "on_track", _("On track")
    WARNING = "warning", _("Due soon")
    BREACHED = "breached", _("Overdue")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")


OPEN_STATUSES = (
    Status.RECEIVED,
    Status.ACKNOWLEDGED,
    Status.ASSESSED,
    Status.INVESTIGATING,
    Status.RESPONSE_DECIDED,
    Status.COMMUNICATED,
    Status.REOPENED,
)
TIMED_STATES = (SlaState.ON_TRACK, SlaState.WARNING)


class Case(models.Model):
    Kind = Kind
    Status = Status
    SlaState = SlaState
    OPEN_STATUSES = OPEN_STATUSES
    TIMED_STATES = TIMED_STATES
    Priority = Priority
    SlaTarget = SlaTarget

    class Channel(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        SUGGESTION_BOX = "suggestion_box", _("Suggestion box")
        EMAIL = "email", _("Email")
        HOTLINE = "hotline", _("Hotline call")
        IN_PERSON = "in_person", _("In person")
        SOCIAL = "social", _("Social media")

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        MODERATE = "moderate", _("Moderate")
        MAJOR = "major", _("Major")
        CRITICAL = "critical", _("Critical")

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("Upheld")
        PARTLY_UPHELD = "partly_upheld", _("Partly upheld")
        NOT_UPHELD = "not_upheld", _("Not upheld")

    class Remedy(models.TextChoices):
        NONE = "none", _("None")
        APOLOGY = "apology", _("Apology")
        REFUND = "refund", _("Refund")
        REPLACEMENT = "replacement", _("Replacement")
        COMPENSATION = "compensation", _("Compensation")

    class ClaimRequest(models.TextChoices):
        REFUND = "refund", _("Refund")
        REPLACEMENT = "replacement", _("Replacement")
        COMPENSATION = "compensation", _("Compensation")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="cases")
    reference = models.CharField(_("reference"), max_length=20)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)

    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases", verbose_name=_("customer")
    )
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    # the language the customer chose to be answered in at intake (empty: the customer's, else the organization's)
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGE_CHOICES, blank=True)

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="cases", verbose_name=_("service"))
    moment = models.ForeignKey(
        Moment, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases", verbose_name=_("moment")
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="cases", verbose_name=_("category")
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))

    hotline_caller = models.CharField(_("caller"), max_length=200, blank=True)
    hotline_duration_seconds = models.PositiveIntegerField(_("call duration (seconds)"), null=True, blank=True)
    hotline_notes = models.TextField(_("call notes"), blank=True)

    claim_request = models.CharField(_("what is asked"), max_length=14, choices=ClaimRequest.choices, blank=True)
    claim_amount = models.DecimalField(
        _("amount asked"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    claim_currency = models.CharField(_("currency"), max_length=3, blank=True)

    assignee = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases", verbose_name=_("team")
    )

    response_decision = models.TextField(_("decided response"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome.choices, blank=True)
    remedy = models.CharField(_("remedy"), max_length=14, choices=Remedy.choices, blank=True)
    remedy_amount = models.DecimalField(
        _("remedy amount"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    remedy_currency = models.CharField(_("remedy currency"), max_length=3, blank=True)

    received_at = models.DateTimeField(_("received"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("reopened"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)

    satisfaction_score = models.PositiveSmallIntegerField(
        _("satisfaction"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    satisfaction_comment = models.TextField(_("satisfaction comment"), blank=True)
    satisfaction_at = models.DateTimeField(null=True, blank=True)

    status_token_hash = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    idempotency_fingerprint = models.CharField(max_length=64, blank=True)
    version = models.PositiveIntegerField(default=1)

    # the next SLA target not yet met, and its stored instants (recomputed by the actions)
    sla_target = models.CharField(_("SLA target"), max_length=16, choices=SlaTarget.choices, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    sla_state = models.CharField(_("SLA state"), max_length=10, choices=SlaState.choices, default=SlaState.NONE)
    escalation_level = models.PositiveSmallIntegerField(default=0)  # 0 none, 1 team lead, 2 managers
    # the warning of sla_target was recorded: remembered across a pause, so resuming does not warn again
    sla_warned = models.BooleanField(default=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "reference"], name="unique_case_reference"),
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="unique_case_idempotency_key",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction_score__isnull=True) | Q(satisfaction_score__gte=1, satisfaction_score__lte=5),
                name="case_satisfaction_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(escalation_level__gte=0, escalation_level__lte=2), name="case_escalation_level_0_to_2"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="case_org_status_idx"),
            # the staff inbox: newest first, all cases / open cases / one status; due first; "my cases"
            # ... and the moment health's complaint counts of 90 days (reports.complaint_signals): on PostgreSQL
            # the included columns let it count from the index alone (the other databases ignore ``include``)
            models.Index(
                fields=["organization", "-received_at", "-id"],
                include=["service", "moment", "kind"],
                name="case_org_received_idx",
            ),
            models.Index(
                fields=["organization", "-received_at", "-id"],
                name="case_open_received_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(fields=["organization", "status", "-received_at", "-id"], name="case_org_status_recv_idx"),
            models.Index(
                fields=["organization", "due_at", "id"],
                name="case_open_org_due_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(fields=["assignee", "-received_at", "-id"], name="case_assignee_recv_idx"),
            # the sweep's rows: open cases whose next target is still timed
            models.Index(
                fields=["warn_at"],
                name="case_open_warn_idx",
                condition=Q(status__in=OPEN_STATUSES, sla_state__in=TIMED_STATES),
            ),
            models.Index(
                fields=["due_at"],
                name="case_open_due_idx",
                condition=Q(status__in=OPEN_STATUSES, sla_state__in=TIMED_STATES),
            ),
        ]
        verbose_name = _("case")

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class CaseMessage(models.Model):
    class Kind(models.TextChoices):
        PUBLIC_REPLY = "public_reply", _("Reply to the customer")
        INTERNAL_NOTE = "internal_note", _("Internal note")
        CUSTOMER = "customer", _("Message from the customer")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    author_staff = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    author_customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("message"))
    created_at = models.DateTimeField()
    # the Message-ID of the email this came in as (or went out as), so re-reading a mailbox adds nothing twice
    email_message_id = models.CharField(max_length=300, blank=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="case_message_case_idx")]
        verbose_name = _("case message")

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class CasePause(models.Model):
    """A stretch while the case waits for the customer: the SLA clock stands still; `ended_at` null while open."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(ended_at__isnull=True), name="one_open_pause_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} - {self.ended_at or ''}"


def attachment_path(instance: CaseAttachment, filename: str) -> str:
    # the stored name is random; the customer's own file name is kept in original_name only
    import secrets
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()[:10]
    return f"cases/{instance.case.organization_id}/{instance.case_id}/{secrets.token_hex(12)}{suffix}"


class CaseAttachment(models.Model):
    """A file added to a case by the customer (intake form, status page, email) or by staff."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        CaseMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    from_customer = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")

    def __str__(self) -> str:
        return self.original_name


class SavedView(models.Model):
    """A named set of inbox filters (the query string), kept for its owner or shared with the organization."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="saved_case_views")
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(max_length=1000, blank=True)
    shared = models.BooleanField(_("visible to everyone in the organization"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="unique_saved_view_name")]
        verbose_name = _("saved view")

    def __str__(self) -> str:
        return self.name


class ReplyTemplate(models.Model):
    """A ready answer agents start a public reply from, one per language."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="reply_templates")
    name = models.CharField(_("name"), max_length=120)
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGE_CHOICES)
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("in use"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name", "language", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name", "language"], name="unique_reply_template")
        ]
        verbose_name = _("reply template")

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class QuarantinedMessage(models.Model):
    """An incoming email that could not be turned into a case or a reply, kept whole with the reason."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(_("mailbox"), max_length=300)
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    sender = models.CharField(_("sender"), max_length=300, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    raw = models.BinaryField()
    received_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(_("dealt with"), null=True, blank=True)
    resolved_by = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("quarantined message")

    def __str__(self) -> str:
        return f"{self.sender} {self.subject}"
