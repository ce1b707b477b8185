"""Start-up checks of the deployment's settings (Django's system-check framework; ``manage.py check`` runs them, and
``servicecycle serve`` and ``servicecycle worker`` run them before they start).

Mail carries links to the app (a customer's status link, a survey invitation, a promise's confirmation request),
built on ``SITE_URL``. Left at its development default, or naming a host the app refuses, every such link is
broken, and nothing else would show it until customers say so.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.http.request import validate_host

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")  # noqa: S104 - names compared, nothing bound


@register("servicecycle")
def site_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    url = settings.SITE_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [
            Error(
                f"SITE_URL is {url!r}: it must be the full address people reach the app at.",
                hint="Set SITE_URL to an address such as https://servicecycle.example.com (links in mail use it).",
                id="servicecycle.E001",
            )
        ]
    if settings.DEBUG:
        return []
    if parts.hostname in LOCAL_HOSTS or parts.hostname.endswith(".localhost"):
        return [
            Warning(
                f"SITE_URL is {url!r}: links in mail to customers and staff point to this machine.",
                hint="Set SITE_URL to the public address of the app, such as https://servicecycle.example.com.",
                id="servicecycle.W001",
            )
        ]
    found: list[CheckMessage] = []
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # ALLOWED_HOSTS brackets IPv6
    if not validate_host(host, settings.ALLOWED_HOSTS):
        found.append(
            Warning(
                f"SITE_URL's host {parts.hostname!r} is not in ALLOWED_HOSTS: links in mail would be answered "
                "with 'Bad Request (400)'.",
                hint="Add the host to ALLOWED_HOSTS, or correct SITE_URL.",
                id="servicecycle.W002",
            )
        )
    if parts.scheme == "http":
        found.append(
            Warning(
                f"SITE_URL is {url!r}: status and survey links carry their access token in the address, so they "
                "should travel over https.",
                hint="Serve the app over https and set SITE_URL to its https address.",
                id="servicecycle.W003",
            )
        )
    return found
