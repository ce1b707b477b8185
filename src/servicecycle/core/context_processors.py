from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from servicecycle.accounts.permissions import CAPABILITIES, staff_of
from servicecycle.core.models import Notification


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The signed-in staff member and what their role may do, for menus and buttons."""
    staff = staff_of(getattr(request, "user", None))
    if staff is None:
        return {"staff": None, "can": {}}
    return {
        "staff": staff,
        "unread_notifications": Notification.objects.filter(recipient=staff, read_at__isnull=True).count(),
        "can": {cap.replace(".", "_"): staff.role in roles for cap, roles in CAPABILITIES.items()},
    }
