"""The inbox's search: PostgreSQL full-text over reference, subject, description and contact name (with its GIN
index), and the SQLite fallback over the same fields. The PostgreSQL tests run when DATABASE_URL points at one:
DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> scripts/run-tests.sh tests/cases/test_inbox_search.py"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection

from servicecycle.cases import queries
from servicecycle.cases.models import Case
from tests.cases.builders import complaint, public_complaint
from tests.factories import World

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite fallback")


def _found(world: World, text: str, *, status: str = "all") -> set[str]:
    filters = queries.parse_filters({"q": text, "status": status})
    return set(queries.inbox_cases(world.agent, filters).values_list("subject", flat=True))


@pytest.fixture
def cases(world: World) -> dict[str, Case]:
    return {
        "parcel": complaint(world, subject="Crushed parcel", description="The box arrived crushed.").case,
        "refund": complaint(world, subject="Refund please", description="Charged twice for one delivery").case,
        "named": public_complaint(world, subject="Rude driver", contact_name="Lucía Fernández").case,
        "spanish": complaint(world, subject="Paquete tarde", description="El paquete llegó dos días tarde").case,
    }


def test_search_finds_subject_description_contact_and_reference(world: World, cases: dict[str, Case]) -> None:
    assert _found(world, "crushed") == {"Crushed parcel"}
    assert _found(world, "charged twice") == {"Refund please"}
    assert _found(world, "Fernández") == {"Rude driver"}
    assert _found(world, cases["refund"].reference) == {"Refund please"}
    assert _found(world, "paquete") == {"Paquete tarde"}
    assert _found(world, "nothing-like-this") == set()
    assert _found(world, "") == {c.subject for c in cases.values()}


def test_search_is_case_insensitive_and_needs_every_word(world: World, cases: dict[str, Case]) -> None:
    assert _found(world, "CRUSHED Box") == {"Crushed parcel"}
    assert _found(world, "crushed twice") == set()


def test_search_stays_inside_the_organization(world: World, cases: dict[str, Case]) -> None:
    filters = queries.parse_filters({"q": "crushed", "status": "all"})
    assert not queries.inbox_cases(world.outsider, filters).exists()


def test_search_through_the_page(world: World, cases: dict[str, Case], client_for: Any) -> None:
    body = client_for("viewer").get("/cases/?q=crushed").content.decode()
    assert re.findall(r"<strong id=\"ref-\d+\">(C-\d{4}-\d{5})</strong>", body) == [cases["parcel"].reference]
    weird = client_for("viewer").get("/cases/?q=" + "%27%22%29%28%26%7C%21%3A*" * 5)
    assert weird.status_code == 200  # quotes and tsquery operators are words, never a syntax error


@on_sqlite
def test_sqlite_uses_the_icontains_fallback(world: World) -> None:
    sql = str(queries.search_cases(Case.objects.all(), "box").query)
    assert "LIKE" in sql and "to_tsvector" not in sql


@on_postgres
def test_postgres_uses_full_text_search_with_the_gin_index(world: World, cases: dict[str, Case]) -> None:
    found = queries.search_cases(Case.objects.filter(organization=world.org), "crushed box")
    sql = str(found.query)
    assert "to_tsvector" in sql and "websearch_to_tsquery" in sql
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # four rows: make the planner show it can use the index
    plan = queries.search_cases(Case.objects.all(), "crushed").only("id").explain()
    assert "case_search_idx" in plan


@on_postgres
def test_postgres_search_matches_word_forms_in_any_language_as_written(world: World, cases: dict[str, Case]) -> None:
    # the simple configuration: no stemming, so a customer's own words are found in the four languages
    assert _found(world, "llegó") == {"Paquete tarde"}
    assert _found(world, '"charged twice"') == {"Refund please"}
    assert _found(world, "refund -twice") == set()
