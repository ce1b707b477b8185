"""The gettext catalogs are complete: every string in the code and templates is translated in ru, ms and es."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

SOURCE = Path(__file__).resolve().parents[2] / "src" / "servicecycle"
LANGUAGES = ["ru", "ms", "es"]


@pytest.fixture(scope="module")
def fresh_catalogs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Re-extract the strings from a copy of the source, merged with the committed translations."""
    from django.conf import settings

    copy = tmp_path_factory.mktemp("i18n") / "servicecycle"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    old_cwd, old_paths = Path.cwd(), settings.LOCALE_PATHS
    try:
        os.chdir(copy)
        settings.LOCALE_PATHS = [copy / "locale"]
        call_command(
            "makemessages",
            locale=LANGUAGES,
            verbosity=0,
            no_obsolete=True,
            extensions=["html", "txt", "py", "svg"],
        )
    finally:
        os.chdir(old_cwd)
        settings.LOCALE_PATHS = old_paths
    return copy / "locale"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated(fresh_catalogs: Any, language: str) -> None:
    po = fresh_catalogs / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    statistics = result.stderr.strip()
    assert "fuzzy" not in statistics and "untranslated" not in statistics, (
        f"{language}: {statistics}. Run makemessages and translate the new strings."
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_catalog_matches_the_source(fresh_catalogs: Any, language: str) -> None:
    def ids(path: Path) -> set[str]:
        return {line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("msgid ")}

    committed = SOURCE / "locale" / language / "LC_MESSAGES" / "django.po"
    assert ids(committed) == ids(fresh_catalogs / language / "LC_MESSAGES" / "django.po")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_top_bar_sections_have_distinct_names_in_every_language(world: Any, client_for: Any, language: str) -> None:
    """Two menu entries with one name (People and Staff were both "Сотрудники") leave the user guessing."""
    import re

    from django.conf import settings

    client = client_for("admin")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    body = client.get("/").content.decode()
    sections = body.split('id="nav-sections"', 1)[1].split("</ul>", 1)[0]
    names = [re.sub(r"\s+", " ", n).strip() for n in re.findall(r"<a [^>]*>([^<]+)</a>", sections)]
    assert len(names) >= 8, names
    assert len(names) == len(set(names)), f"{language}: {names}"
