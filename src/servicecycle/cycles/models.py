from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import formats
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from servicecycle.accounts.models import Team
from servicecycle.catalog.models import Service


class Moment(models.Model):
    """A moment of truth: one contact point of a service's cycle, in the order the customer lives them."""

    class Unit(models.TextChoices):
        MINUTES = "minutes", _("minutes")
        HOURS = "hours", _("hours")
        DAYS = "days", _("days")
        PERCENT = "percent", _("percent")
        SCORE = "score", _("score")
        COUNT = "count", _("count")

    class Channel(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("Phone")
        WEB = "web", _("Website or app")
        EMAIL = "email", _("Email")
        CHAT = "chat", _("Chat or messaging")
        ON_SITE = "on_site", _("At the customer's site")
        MAIL = "mail", _("Post or delivery")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="moments")
    position = models.PositiveIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=120)
    customer_goal = models.CharField(_("what the customer wants here"), max_length=300, blank=True)
    owner_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="owned_moments", verbose_name=_("owner team")
    )
    standard = models.CharField(_("standard"), max_length=300, blank=True)
    target_value = models.DecimalField(
        _("target"), max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    target_unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, blank=True)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, default=Channel.IN_PERSON)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["service_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["service", "position"], name="unique_moment_position"),
            models.CheckConstraint(
                condition=models.Q(target_value__isnull=True) | models.Q(target_value__gte=0),
                name="moment_target_not_negative",
            ),
        ]
        verbose_name = _("moment of truth")

    def __str__(self) -> str:
        return self.name

    @property
    def target_display(self) -> str:
        """The target as words in the active language: "1 hour", "1,5 часа", "95%"."""
        if self.target_value is None:
            return ""
        value = self.target_value.normalize()
        text = formats.number_format(value, use_l10n=True)
        # the plural form: a whole number picks its own; a fraction reads like "2" (1.5 hours, 1,5 часа)
        n = int(value) if value == value.to_integral_value() else 2
        unit = self.target_unit
        if unit == self.Unit.MINUTES:
            return ngettext("%(n)s minute", "%(n)s minutes", n) % {"n": text}
        if unit == self.Unit.HOURS:
            return ngettext("%(n)s hour", "%(n)s hours", n) % {"n": text}
        if unit == self.Unit.DAYS:
            return ngettext("%(n)s day", "%(n)s days", n) % {"n": text}
        if unit == self.Unit.PERCENT:
            return gettext("%(n)s%%") % {"n": text}
        if unit == self.Unit.SCORE:
            return gettext("score %(n)s") % {"n": text}
        if unit == self.Unit.COUNT:
            return ngettext("%(n)s occurrence", "%(n)s occurrences", n) % {"n": text}
        return text
