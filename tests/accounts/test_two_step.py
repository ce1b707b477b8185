"""Two-step sign-in: set up with a real time-based code, then the password alone opens nothing."""

from __future__ import annotations

import time
from typing import Any

import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from servicecycle.core.models import AuditEvent
from tests.factories import World

PASSWORD = "a-long-test-password-1"


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _turn_on(client: Client, world: World) -> list[str]:
    client.post(reverse("two-step"), {"action": "start"})
    device = TOTPDevice.objects.get(user=world.agent.user, confirmed=False)
    page = client.get(reverse("two-step")).content.decode()
    assert "<svg" in page  # the QR code to scan
    wrong = client.post(reverse("two-step"), {"action": "confirm", "token": "000000"})
    assert "not right" in wrong.content.decode()
    response = client.post(reverse("two-step"), {"action": "confirm", "token": _code(device)})
    codes = response.context["backup_codes"]
    assert len(codes) == 10
    return codes


def _password_client(world: World) -> Client:
    user = world.agent.user
    user.set_password(PASSWORD)
    user.save()
    return Client()


def test_after_turning_it_on_the_password_alone_opens_nothing(world: World, client_for: Any) -> None:
    _turn_on(client_for("agent"), world)
    assert AuditEvent.objects.filter(verb="staff.two_step_on").exists()
    client = _password_client(world)
    response = client.post(reverse("login"), {"username": world.agent.user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login-verify"))
    # every page and the API (session) wait for the code
    assert client.get(reverse("service-list"))["Location"].startswith(reverse("login-verify"))
    assert client.get("/api/v1/services").status_code == 401
    wrong = client.post(reverse("login-verify"), {"token": "123456", "next": "/services/"})
    assert wrong.status_code == 200
    assert "not right" in wrong.content.decode()
    device = TOTPDevice.objects.get(user=world.agent.user)
    with time_machine.travel(time.time() + 60):  # the code used to confirm cannot be used again
        done = client.post(reverse("login-verify"), {"token": _code(device), "next": "/services/"})
    assert done["Location"] == "/services/"
    assert client.get(reverse("service-list")).status_code == 200


def test_a_backup_code_works_once(world: World, client_for: Any) -> None:
    codes = _turn_on(client_for("agent"), world)
    for expected in ("/", None):
        client = _password_client(world)
        client.post(reverse("login"), {"username": world.agent.user.username, "password": PASSWORD})
        response = client.post(reverse("login-verify"), {"token": codes[0], "next": "/"})
        if expected:
            assert response["Location"] == expected
        else:
            assert response.status_code == 200  # the same backup code again is refused


def test_turning_it_off_needs_a_current_code(world: World, client_for: Any) -> None:
    client = client_for("agent")
    codes = _turn_on(client, world)
    refused = client.post(reverse("two-step"), {"action": "off", "token": "999999"})
    assert "not right" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=world.agent.user).exists()
    client.post(reverse("two-step"), {"action": "off", "token": codes[3]})
    assert not TOTPDevice.objects.filter(user=world.agent.user).exists()
    assert AuditEvent.objects.filter(verb="staff.two_step_off").exists()


def test_without_two_step_sign_in_goes_straight_in(world: World) -> None:
    client = _password_client(world)
    response = client.post(reverse("login"), {"username": world.agent.user.username, "password": PASSWORD})
    assert not response["Location"].startswith(reverse("login-verify"))


def test_guessing_codes_is_rate_limited(world: World, client_for: Any, one_rate_window: None) -> None:
    _turn_on(client_for("agent"), world)
    client = _password_client(world)
    client.post(reverse("login"), {"username": world.agent.user.username, "password": PASSWORD})
    statuses = [client.post(reverse("login-verify"), {"token": "111111"}).status_code for _ in range(12)]
    assert 429 in statuses
