from __future__ import annotations

import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(value)s"), params={"value": value})


LANGUAGE_CHOICES = [("en", _("English")), ("ru", _("Russian")), ("ms", _("Malay")), ("es", _("Spanish"))]


def new_settings_stamp() -> int:
    return secrets.randbits(62)


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    holiday_country = models.CharField(
        _("public holidays of"), max_length=2, blank=True, help_text=_("ISO country code, e.g. GB, MY, ES")
    )
    holiday_subdivision = models.CharField(_("region"), max_length=10, blank=True)
    default_language = models.CharField(_("default language"), max_length=5, choices=LANGUAGE_CHOICES, default="en")
    created_at = models.DateTimeField(auto_now_add=True)
    # a new random value with every change to how business time is counted (hours, dates, time zone, holidays)
    # or to the SLA policies: each process keys its copy of the calendar and policies on it (cases.sla), so a
    # change made in one process is seen by the next request in every other. Random rather than counted (and
    # from creation on), so neither a rolled-back change nor a new organization that reuses an id shares a stamp.
    settings_stamp = models.BigIntegerField(default=new_settings_stamp, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The organization's time zone: its business clock, its days, and the times its staff read and type."""
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (ValueError, KeyError):
            return zoneinfo.ZoneInfo("UTC")


class WorkingInterval(models.Model):
    """One opening interval of a weekday in local wall time, in minutes since midnight (1440 = 24:00)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="working_intervals")
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])  # 0 = Monday
    opens = models.PositiveSmallIntegerField(validators=[MaxValueValidator(1439)])
    closes = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(1440)])

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=models.Q(closes__gt=models.F("opens")), name="interval_closes_after_opens")
        ]

    def __str__(self) -> str:
        def hhmm(minutes: int) -> str:
            return f"{minutes // 60:02d}:{minutes % 60:02d}"

        return f"{self.weekday} {hhmm(self.opens)}-{hhmm(self.closes)}"


class CalendarDate(models.Model):
    """A date the organization closes although it normally works, or works although it is a public holiday."""

    class Kind(models.TextChoices):
        CLOSED = "closed", _("closed")
        WORKED = "worked", _("open despite a public holiday")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="calendar_dates")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CLOSED)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["organization", "date"], name="one_calendar_entry_per_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"


class Team(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    color = models.CharField(_("colour"), max_length=7, default="#3566a8", help_text=_("#rrggbb"))
    email = models.EmailField(_("team email"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="unique_team_name")]
        verbose_name = _("team")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Service manager")
    TEAM_LEAD = "team_lead", _("Team lead")
    AGENT = "agent", _("Front-line agent")
    VIEWER = "viewer", _("Viewer")


class Staff(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    teams = models.ManyToManyField(Team, blank=True, related_name="members", verbose_name=_("teams"))
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGE_CHOICES, blank=True)

    class Meta:
        ordering = ["user__first_name", "user__last_name"]
        verbose_name = _("staff member")

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class Customer(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="customers")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=5, choices=LANGUAGE_CHOICES, default="en")
    consent_contact = models.BooleanField(_("agrees to be contacted about their cases"), default=True)
    consent_surveys = models.BooleanField(_("agrees to receive surveys"), default=False)
    consent_marketing = models.BooleanField(_("agrees to receive offers"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "name"], name="customer_org_name_idx")]
        verbose_name = _("customer")

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 hash is stored; the token is shown once at creation."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
