from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from servicecycle.accounts.models import Organization, Team


class Service(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        RETIRED = "retired", _("Retired")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(_("name"), max_length=160)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=80, blank=True)
    owner_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="owned_services", verbose_name=_("owner team")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    service_share = models.PositiveSmallIntegerField(
        _("service share of the customer's need (%)"),
        default=50,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("0 = the physical product meets the whole need; 100 = the service meets it all"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="unique_service_name")]
        indexes = [models.Index(fields=["organization", "status"], name="service_org_status_idx")]
        verbose_name = _("service")

    def __str__(self) -> str:
        return self.name


class OfferingDecision(models.Model):
    """How a service is offered: price model and delivery channel. Every decision is kept as history."""

    class PriceModel(models.TextChoices):
        FREE_PERIOD = "free_period", _("Free for a period")
        SOLD_SEPARATELY = "sold_separately", _("Sold separately")
        NOT_OFFERED = "not_offered", _("Not offered")

    class Delivery(models.TextChoices):
        OWN_STAFF = "own_staff", _("Own staff at each outlet")
        DISTRIBUTORS = "distributors", _("Agreements with distributors")
        THIRD_PARTIES = "third_parties", _("Authorized third parties")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="decisions")
    price_model = models.CharField(_("price model"), max_length=20, choices=PriceModel.choices)
    free_period_months = models.PositiveSmallIntegerField(_("free period (months)"), null=True, blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    delivery_channel = models.CharField(_("delivery channel"), max_length=20, choices=Delivery.choices)
    partner_names = models.TextField(_("partner names"), blank=True, help_text=_("one per line"))
    rationale = models.TextField(_("rationale"), blank=True)
    review_date = models.DateField(_("review date"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("offering decision")

    def __str__(self) -> str:
        return f"{self.service}: {self.get_price_model_display()} / {self.get_delivery_channel_display()}"

    @property
    def partners(self) -> list[str]:
        return [line.strip() for line in self.partner_names.splitlines() if line.strip()]
