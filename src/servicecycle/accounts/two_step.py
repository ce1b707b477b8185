"""Two-step sign-in for staff: a code from an authenticator app (TOTP) after the password, on django-otp.

Turning it on gives ten one-time backup codes for a lost phone. A session that has passed the password but
not yet the code carries ``SESSION_PENDING``; ``TwoStepMiddleware`` lets such a session reach only the code
page, sign-out and static files, so no page, form or API call (session auth) is open before the code.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from servicecycle.accounts.permissions import staff_of
from servicecycle.core import audit
from servicecycle.core.validation import fail

SESSION_PENDING = "two_step_pending"
BACKUP_CODES = 10


def is_on(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _audit(user: Any, verb: str) -> None:
    staff = staff_of(user)
    if staff is not None:
        audit.record(actor=user, organization_id=staff.organization_id, verb=verb, obj=staff)


@transaction.atomic
def start(*, acting_user: Any) -> TOTPDevice:
    """A new, unconfirmed authenticator for the user (any earlier unconfirmed one is replaced)."""
    if is_on(acting_user):
        raise fail("token", _("Two-step sign-in is already on. Turn it off first to use another phone."))
    TOTPDevice.objects.filter(user=acting_user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=acting_user, name=_("Authenticator app"), confirmed=False)


def pending_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


@transaction.atomic
def confirm(*, acting_user: Any, request: HttpRequest, token: str) -> list[str]:
    """Check the first code from the app; on success two-step is on and the backup codes are returned (once)."""
    device = pending_device(acting_user)
    if device is None:
        raise fail("token", _("Start again: there is no authenticator waiting to be confirmed."))
    if not device.verify_token((token or "").strip().replace(" ", "")):
        raise fail("token", _("That code is not right. Check the phone's clock and type the code shown now."))
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=acting_user).delete()
    backup = StaticDevice.objects.create(user=acting_user, name=_("Backup codes"))
    codes = [secrets.token_hex(4) for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=code) for code in codes])
    otp_login(request, device)
    _audit(acting_user, "staff.two_step_on")
    return codes


@transaction.atomic
def turn_off(*, acting_user: Any, token: str) -> None:
    """Turn two-step sign-in off; needs a current code (or a backup code) so a left-open session cannot."""
    if match_token(acting_user, (token or "").strip().replace(" ", "")) is None:
        raise fail("token", _("That code is not right."))
    TOTPDevice.objects.filter(user=acting_user).delete()
    StaticDevice.objects.filter(user=acting_user).delete()
    _audit(acting_user, "staff.two_step_off")


def verify(*, request: HttpRequest, token: str) -> None:
    """The second step of signing in: an app code or an unused backup code ends the pending state."""
    device = match_token(request.user, (token or "").strip().replace(" ", ""))
    if device is None:
        raise fail("token", _("That code is not right. Try the code your app shows now, or a backup code."))
    otp_login(request, device)
    request.session.pop(SESSION_PENDING, None)


def mark_pending_if_needed(request: HttpRequest, user: Any) -> bool:
    """Called right after the password was accepted: True when the code is still needed."""
    if is_on(user):
        request.session[SESSION_PENDING] = True
        return True
    return False


class TwoStepMiddleware:
    """Sessions that still owe the code reach only the code page, sign-out and static files."""

    OPEN_PATHS = ("/static/", "/accounts/logout/", "/language/")

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_PENDING):
            verify_path = reverse("login-verify")
            if request.path != verify_path and not request.path.startswith(self.OPEN_PATHS):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "Finish signing in with your two-step code."}, status=401)
                return redirect(f"{verify_path}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
