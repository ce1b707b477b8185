"""The deployment checks of SITE_URL, on which every link in mail is built."""

from __future__ import annotations

from typing import Any

import pytest

from servicecycle.core.checks import site_url


def _ids(settings: Any, **values: Any) -> list[str]:
    for name, value in values.items():
        setattr(settings, name, value)
    return [message.id for message in site_url()]


@pytest.mark.parametrize("url", ["servicecycle.example.com", "ftp://files.example.com", "https://", ""])
def test_a_site_url_that_is_not_an_address_is_an_error_even_in_development(settings: Any, url: str) -> None:
    assert _ids(settings, SITE_URL=url, DEBUG=True) == ["servicecycle.E001"]


def test_development_may_keep_the_local_address(settings: Any) -> None:
    assert _ids(settings, SITE_URL="http://localhost:8000", DEBUG=True) == []


@pytest.mark.parametrize(
    ("url", "hosts", "expected"),
    [
        ("http://localhost:8000", ["service.example.com"], ["servicecycle.W001"]),
        ("http://127.0.0.1", ["*"], ["servicecycle.W001"]),
        ("https://app.localhost", ["*"], ["servicecycle.W001"]),
        ("https://[2001:db8::1]/", ["[2001:db8::1]"], []),
        ("https://[2001:db8::1]/", ["service.example.com"], ["servicecycle.W002"]),
        ("https://service.example.com", ["service.example.com"], []),
        ("https://service.example.com/", [".example.com"], []),
        ("https://other.example.org", ["service.example.com"], ["servicecycle.W002"]),
        ("http://service.example.com", ["service.example.com"], ["servicecycle.W003"]),
        ("http://other.example.org", ["service.example.com"], ["servicecycle.W002", "servicecycle.W003"]),
    ],
)
def test_production_addresses(settings: Any, url: str, hosts: list[str], expected: list[str]) -> None:
    assert _ids(settings, SITE_URL=url, DEBUG=False, ALLOWED_HOSTS=hosts) == expected
