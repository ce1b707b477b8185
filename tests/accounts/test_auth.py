from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.factories import World

PASSWORD = "a-long-enough-secret-42"


def _login(client: Client, email: str, password: str) -> Any:
    return client.post(reverse("login"), {"username": email, "password": password})


def test_staff_signs_in_and_lands_on_the_overview(world: World) -> None:
    person = factories.staff(world.org, "agent", email="mia@example.test", password=PASSWORD)
    client = Client()
    response = _login(client, person.user.email, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert "Acme Supplies" in client.get(reverse("home")).content.decode()


def test_signing_in_switches_to_the_language_saved_on_the_profile(world: World) -> None:
    person = factories.staff(world.org, "agent", email="ivan@example.test", password=PASSWORD)
    person.language = "ru"
    person.save(update_fields=["language"])
    client = Client()
    response = _login(client, person.user.email, PASSWORD)
    assert response.cookies["django_language"].value == "ru"


def test_five_failed_sign_ins_lock_the_login(world: World) -> None:
    person = factories.staff(world.org, "agent", email="lock@example.test", password=PASSWORD)
    client = Client()
    for _ in range(5):
        assert _login(client, person.user.email, "wrong-password").status_code in (200, 429)
    locked = _login(client, person.user.email, PASSWORD)  # even the right password is refused now
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"  # the 15-minute cool-off
    assert "Sign-in locked" in locked.content.decode()


def test_sign_out_needs_a_post_and_ends_the_session(world: World, client_for: Any) -> None:
    client = client_for("viewer")
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_sends_a_working_link(world: World) -> None:
    person = factories.staff(world.org, "agent", email="reset@example.test")
    client = Client()
    response = client.post(reverse("password_reset"), {"email": "reset@example.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password-reset/" in line)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert done.status_code == 302
    person.user.refresh_from_db()
    assert person.user.check_password(PASSWORD)


def test_password_reset_for_an_unknown_address_reveals_nothing(db: None) -> None:
    response = Client().post(reverse("password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 0


def test_language_switcher_sets_the_cookie_and_remembers_the_choice(world: World, client_for: Any) -> None:
    client = client_for("agent")
    response = client.post(reverse("set-language"), {"language": "es", "next": reverse("service-list")})
    assert response["Location"] == reverse("service-list")
    assert response.cookies["django_language"].value == "es"
    world.agent.refresh_from_db()
    assert world.agent.language == "es"
    assert '<html lang="es"' in client.get(reverse("service-list")).content.decode()


def test_language_switcher_never_redirects_off_site(db: None) -> None:
    response = Client().post(reverse("set-language"), {"language": "ms", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_forms_refuse_posts_without_a_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin.user)
    response = client.post(reverse("team-create"), {"name": "No token", "color": "#123456"})
    assert response.status_code == 403
