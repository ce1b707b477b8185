"""Helpers for the tests of mailed invitations: customers, and running the background tasks to the end."""

from __future__ import annotations

import re
from typing import Any

from servicecycle.accounts import actions as accounts
from servicecycle.accounts.models import Customer
from tests.factories import World

LINK = re.compile(r"https?://\S+/s/i/[\w-]+/")


def customer(
    w: World,
    name: str,
    email: str = "",
    language: str = "en",
    surveys: bool = True,
    contact: bool = True,
) -> Customer:
    return accounts.create_customer(
        acting_user=w.admin.user,
        name=name,
        email=email,
        preferred_language=language,
        consent_contact=contact,
        consent_surveys=surveys,
    )


def drain(run_tasks: Any, capture: Any, rounds: int = 6) -> None:
    """Run the queued tasks, then the tasks they queued on commit (their mail), until nothing new is queued."""
    for _ in range(rounds):
        with capture(execute=True) as callbacks:
            run_tasks()
        if not callbacks:
            return


def link_in(body: Any) -> str:
    found = LINK.search(str(body))
    assert found, body
    return found.group(0)
