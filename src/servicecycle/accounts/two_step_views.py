"""Pages of two-step sign-in: turning it on and off on the account, and the code step after the password."""

from __future__ import annotations

from io import BytesIO

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_ratelimit.decorators import ratelimit

from servicecycle.accounts import two_step
from servicecycle.core.errors import DomainError
from servicecycle.core.views_helpers import apply_domain_error, staff_required


class CodeForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]  # without the XML declaration, to sit inside the page


@staff_required("view")
def two_step_settings(request: HttpRequest) -> HttpResponse:
    """Account page: turn two-step sign-in on (scan, confirm, keep the backup codes) or off."""
    form = CodeForm(request.POST or None)
    action = request.POST.get("action", "")
    backup_codes: list[str] = []
    if request.method == "POST":
        try:
            if action == "start":
                two_step.start(acting_user=request.user)
                form = CodeForm()
            elif action == "confirm" and form.is_valid():
                backup_codes = two_step.confirm(
                    acting_user=request.user, request=request, token=form.cleaned_data["token"]
                )
                messages.success(request, _("Two-step sign-in is on."))
            elif action == "off" and form.is_valid():
                two_step.turn_off(acting_user=request.user, token=form.cleaned_data["token"])
                messages.success(request, _("Two-step sign-in is off."))
                return redirect("two-step")
        except DomainError as exc:
            apply_domain_error(form, exc)
    pending = None if two_step.is_on(request.user) else two_step.pending_device(request.user)
    context = {
        "form": form,
        "is_on": two_step.is_on(request.user),
        "pending": pending,
        "qr": mark_safe(_qr_svg(pending.config_url)) if pending else "",  # noqa: S308 - SVG made by qrcode
        "secret_b32": _base32(pending.bin_key) if pending else "",
        "backup_codes": backup_codes,
    }
    return render(request, "accounts/two_step.html", context)


def _base32(key: bytes) -> str:
    import base64

    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@ratelimit(key="user_or_ip", rate="10/m", method="POST", block=True)
@login_required
def login_verify(request: HttpRequest) -> HttpResponse:
    """The code step after the password (only reached when two-step sign-in is on)."""
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    if not request.session.get(two_step.SESSION_PENDING):
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_step.verify(request=request, token=form.cleaned_data["token"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect(next_url)
    return render(request, "registration/login_verify.html", {"form": form, "next": next_url})
