from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One change made through an action: who, when, what, and the fields that changed."""

    organization_id = models.BigIntegerField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    verb = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)
    # the object whose timeline also shows this event (a moment's events appear on its service)
    scope_type = models.CharField(max_length=60, blank=True)
    scope_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["scope_type", "scope_id"], name="audit_scope_idx"),
        ]
        verbose_name = _("audit event")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.verb} {self.object_repr}"


class Notification(models.Model):
    """Something a staff member should look at, shown under the bell in the header (and usually also emailed)."""

    organization_id = models.BigIntegerField(db_index=True)
    recipient = models.ForeignKey("accounts.Staff", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=60)
    # written in the recipient's language when it is created
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]
        verbose_name = _("notification")

    def __str__(self) -> str:
        return self.title


class PeriodicRun(models.Model):
    """When a periodic task was last queued; a conditional UPDATE on this row lets one worker of many queue it."""

    name = models.CharField(max_length=200, unique=True)
    last_enqueued_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
