"""`servicecycle backup` and `servicecycle restore`, run as an operator would: in a subprocess, against a database
of their own (a SQLite file in tmp_path, or a scratch PostgreSQL database), never the pytest test database."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from servicecycle.core import backup

ROOT = Path(__file__).resolve().parents[2]
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"

# Rows worth reading by eye when a round trip goes wrong; every other table is compared in full.
SAMPLES = {
    "services": "SELECT name, status FROM catalog_service ORDER BY id",
    "moments": (
        "SELECT s.name, m.position, m.name FROM cycles_moment m JOIN catalog_service s ON s.id = m.service_id "
        "ORDER BY s.id, m.position"
    ),
    "customers": "SELECT email, name FROM accounts_customer ORDER BY id",
    "teams": "SELECT name, color FROM accounts_team ORDER BY id",
    "audit verbs": "SELECT verb, object_repr FROM core_auditevent ORDER BY id",
    "answers": "SELECT COUNT(*), SUM(id) FROM surveys_answer",
}


def _env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "PGPASSWORD")
    }
    environment.update(
        DATABASE_URL=database_url,
        DEBUG="1",
        SERVICECYCLE_VAR_DIR=str(tmp_path / "var"),  # the default backup folder lands in tmp_path, not the repo
        PYTHONPATH=str(ROOT / "src"),
    )
    environment.update(extra)
    return environment


def run(tmp_path: Path, database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`servicecycle ...` in a child process, the way cron or an operator would run it."""
    return subprocess.run(
        [sys.executable, "-m", "servicecycle.cli", *args],
        capture_output=True,
        text=True,
        env=_env(tmp_path, database_url, **env),
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )


def run_ok(tmp_path: Path, database_url: str, *args: str) -> str:
    result = run(tmp_path, database_url, *args)
    assert result.returncode == 0, f"servicecycle {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


# --- reading a database from the test process ---------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _contents(cursor: Any, tables: list[str]) -> dict[str, list[str]]:
    """Every row of every table, as sorted text, so two states compare without caring about row order."""
    contents: dict[str, list[str]] = {}
    for table in tables:
        cursor.execute(f"SELECT * FROM {_quote(table)}")  # noqa: S608 - table names from the catalog
        contents[table] = sorted(repr(tuple(row)) for row in cursor.fetchall())
    return contents


def _samples(cursor: Any) -> dict[str, list[tuple[Any, ...]]]:
    samples: dict[str, list[tuple[Any, ...]]] = {}
    for label, sql in SAMPLES.items():
        cursor.execute(sql)
        samples[label] = [tuple(row) for row in cursor.fetchall()]
    return samples


def sqlite_state(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        tables = [name for (name,) in cursor.fetchall() if not name.startswith("sqlite_")]
        return {"contents": _contents(cursor, tables), "samples": _samples(cursor)}
    finally:
        conn.close()


def postgresql_state(dbname: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [name for (name,) in cursor.fetchall()]
        return {"contents": _contents(cursor, tables), "samples": _samples(cursor)}


def assert_same_state(before: dict[str, Any], after: dict[str, Any]) -> None:
    counts_before = {table: len(rows) for table, rows in before["contents"].items()}
    counts_after = {table: len(rows) for table, rows in after["contents"].items()}
    assert counts_after == counts_before  # every table, by name, with its row count
    assert after["samples"] == before["samples"]
    for table, rows in before["contents"].items():
        assert after["contents"][table] == rows, f"rows of {table} differ after restore"


def assert_populated(state: dict[str, Any]) -> None:
    """The round trip proves little on an empty database: the demo must have filled the interesting tables."""
    samples = state["samples"]
    assert len(samples["services"]) >= 3
    assert len(samples["moments"]) >= 10
    assert len(samples["customers"]) >= 3
    assert len(samples["teams"]) >= 3
    assert len(samples["audit verbs"]) >= 50
    assert samples["answers"][0][0] > 0
    assert sum(len(rows) for rows in state["contents"].values()) > 1000


def wipe_sqlite(path: Path) -> None:
    """Delete every row of every table (the schema stays), as a mistaken script or a bad migration might."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            conn.execute(f"DELETE FROM {_quote(table)}")  # noqa: S608 - table names from the catalog
        conn.commit()
    finally:
        conn.close()


def manifest_of(dump: Path) -> dict[str, Any]:
    return json.loads(backup.manifest_path_for(dump).read_text(encoding="utf-8"))


# --- SQLite ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the demo organizations, made once per module; tests work on copies."""
    folder = tmp_path_factory.mktemp("seeded")
    path = folder / "seeded.sqlite3"
    url = f"sqlite:///{path}"
    run_ok(folder, url, "manage", "migrate", "--no-input", "--skip-checks", "-v0")
    run_ok(folder, url, "manage", "seed_demo", "--skip-checks")
    return path


@pytest.fixture
def sqlite_db(seeded_sqlite: Path, tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "live" / "servicecycle.sqlite3"
    path.parent.mkdir()
    source, dest = sqlite3.connect(seeded_sqlite), sqlite3.connect(path)
    source.backup(dest)
    source.close()
    dest.close()
    return path, f"sqlite:///{path}"


def test_sqlite_round_trip_restores_every_table_and_row_after_a_wipe(
    sqlite_db: tuple[Path, str], tmp_path: Path
) -> None:
    path, url = sqlite_db
    before = sqlite_state(path)
    assert_populated(before)
    dump = tmp_path / "backups" / "nightly.sqlite3"

    out = run_ok(tmp_path, url, "backup", "--output", str(dump))

    assert str(dump) in out
    assert re.search(r"\(\d+(\.\d+)? (KiB|MiB)\)", out), out
    assert dump.read_bytes().startswith(b"SQLite format 3\x00")
    assert not Path(f"{dump}-wal").exists()  # a self-contained file
    manifest = manifest_of(dump)
    assert manifest["engine"] == "sqlite"
    assert manifest["tables"] == {table: len(rows) for table, rows in before["contents"].items()}
    assert manifest["migrations"]["core"] == max(
        p.stem for p in (Path(__file__).parents[2] / "src/servicecycle/core/migrations").glob("0*.py")
    )
    assert manifest["dump"]["bytes"] == dump.stat().st_size

    wipe_sqlite(path)
    wiped = sqlite_state(path)
    assert wiped["samples"]["customers"] == []
    assert wiped["samples"]["audit verbs"] == []

    out = run_ok(tmp_path, url, "restore", str(dump), "--yes")

    assert "row counts match the manifest for every table" in out
    assert_same_state(before, sqlite_state(path))


def test_sqlite_restore_into_a_missing_database_file_rebuilds_it(sqlite_db: tuple[Path, str], tmp_path: Path) -> None:
    """The disk is gone: restoring onto a fresh machine where the database file does not exist yet."""
    path, url = sqlite_db
    before = sqlite_state(path)
    dump = tmp_path / "copy.sqlite3"
    run_ok(tmp_path, url, "backup", "-o", str(dump))
    for leftover in path.parent.iterdir():
        leftover.unlink()

    run_ok(tmp_path, url, "restore", str(dump), "--yes")

    assert_same_state(before, sqlite_state(path))


def test_backup_goes_to_a_timestamped_file_under_var_backups_by_default(
    sqlite_db: tuple[Path, str], tmp_path: Path
) -> None:
    _, url = sqlite_db

    out = run_ok(tmp_path, url, "backup")

    (dump,) = (tmp_path / "var" / "backups").glob("servicecycle-*Z.sqlite3")
    assert out.splitlines()[0].startswith(f"{dump} (")
    assert backup.manifest_path_for(dump).is_file()


def test_restore_without_yes_and_without_a_terminal_is_refused_and_changes_nothing(
    sqlite_db: tuple[Path, str], tmp_path: Path
) -> None:
    path, url = sqlite_db
    dump = tmp_path / "b.sqlite3"
    run_ok(tmp_path, url, "backup", "-o", str(dump))
    wipe_sqlite(path)

    result = run(tmp_path, url, "restore", str(dump))

    assert result.returncode != 0
    assert "pass --yes to confirm" in result.stderr
    assert sqlite_state(path)["samples"]["customers"] == []


def test_restore_reports_tables_whose_row_count_differs_from_the_manifest(
    sqlite_db: tuple[Path, str], tmp_path: Path
) -> None:
    _, url = sqlite_db
    dump = tmp_path / "b.sqlite3"
    run_ok(tmp_path, url, "backup", "-o", str(dump))
    manifest = manifest_of(dump)
    real = manifest["tables"]["core_auditevent"]
    manifest["tables"]["core_auditevent"] = real + 1  # as if a row had been lost on the way
    backup.manifest_path_for(dump).write_text(json.dumps(manifest), encoding="utf-8")

    result = run(tmp_path, url, "restore", str(dump), "--yes")

    assert result.returncode != 0
    assert f"core_auditevent: backup had {real + 1} rows, database has {real}" in result.stderr
    assert "1 tables differ from the manifest" in result.stderr


def test_a_damaged_backup_is_refused_before_the_database_is_touched(
    sqlite_db: tuple[Path, str], tmp_path: Path
) -> None:
    path, url = sqlite_db
    dump = tmp_path / "b.sqlite3"
    run_ok(tmp_path, url, "backup", "-o", str(dump))
    wipe_sqlite(path)
    data = bytearray(dump.read_bytes())
    data[-100] ^= 0xFF
    dump.write_bytes(bytes(data))

    result = run(tmp_path, url, "restore", str(dump), "--yes")

    assert result.returncode != 0
    assert "does not match its manifest's SHA-256" in result.stderr
    assert sqlite_state(path)["samples"]["customers"] == []  # still the wiped state: nothing was restored


def test_restore_without_a_manifest_needs_skip_check(sqlite_db: tuple[Path, str], tmp_path: Path) -> None:
    path, url = sqlite_db
    before = sqlite_state(path)
    dump = tmp_path / "b.sqlite3"
    run_ok(tmp_path, url, "backup", "-o", str(dump))
    backup.manifest_path_for(dump).unlink()
    wipe_sqlite(path)

    refused = run(tmp_path, url, "restore", str(dump), "--yes")
    assert refused.returncode != 0
    assert "no manifest next to the backup" in refused.stderr

    out = run_ok(tmp_path, url, "restore", str(dump), "--yes", "--skip-check")
    assert "row counts not checked" in out
    assert_same_state(before, sqlite_state(path))


# --- failures named in one line -------------------------------------------------------------------------------------


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("CommandError")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_unwritable_backup_path_is_named(sqlite_db: tuple[Path, str], tmp_path: Path) -> None:
    _, url = sqlite_db
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")

    message = _one_line_error(run(tmp_path, url, "backup", "-o", str(blocker / "b.sqlite3")))

    assert f"cannot write the backup to {blocker / 'b.sqlite3'}" in message
    assert "is a file, not a folder" in message


def test_missing_sqlite_database_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.sqlite3"

    message = _one_line_error(run(tmp_path, f"sqlite:///{missing}", "backup", "-o", str(tmp_path / "b.sqlite3")))

    assert f"the SQLite database {missing} does not exist" in message
    assert not missing.exists()  # a backup never creates the database it was asked to copy


def test_missing_pg_dump_is_named(tmp_path: Path) -> None:
    empty_path = tmp_path / "bin"
    empty_path.mkdir()

    result = run(tmp_path, "postgres://postgres@127.0.0.1:1/absent", "backup", PATH=str(empty_path))

    assert "pg_dump not found on PATH" in _one_line_error(result)


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_unreachable_postgresql_is_named(tmp_path: Path) -> None:
    result = run(tmp_path, "postgres://postgres@127.0.0.1:1/absent", "backup", "-o", str(tmp_path / "b.dump"))

    message = _one_line_error(result)
    assert "cannot connect to the database 127.0.0.1:1/absent" in message
    assert not (tmp_path / "b.dump").exists()
    assert not list(tmp_path.glob(".b.dump*"))  # no half-written file left behind


def test_a_sqlite_backup_is_refused_when_the_configured_database_is_postgresql(
    sqlite_db: tuple[Path, str], tmp_path: Path
) -> None:
    _, url = sqlite_db
    dump = tmp_path / "b.sqlite3"
    run_ok(tmp_path, url, "backup", "-o", str(dump))

    result = run(tmp_path, "postgres://postgres@127.0.0.1:1/absent", "restore", str(dump), "--yes")

    assert "is a SQLite backup; the configured database is PostgreSQL" in _one_line_error(result)


def test_console_script_lists_backup_and_restore(tmp_path: Path) -> None:
    result = run(tmp_path, "sqlite:///unused.sqlite3", "--help")

    assert result.returncode == 0
    assert "backup" in result.stdout
    assert "restore" in result.stdout


# --- pure helpers ---------------------------------------------------------------------------------------------------


def test_compare_counts_names_missing_extra_and_different_tables() -> None:
    differences = backup.compare_counts({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5, "d": 0})

    assert differences == [
        "b: backup had 2 rows, database has 5",
        "c: missing after restore (backup had 3 rows)",
        "d: not in the backup, has 0 rows",
    ]


def test_migration_leaf_is_the_last_applied_migration_of_each_app() -> None:
    applied = [
        ("contenttypes", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("sessions", "0001_initial"),
    ]

    assert backup.migration_leaves(applied) == {
        "contenttypes": "0002_remove_content_type_name",
        "sessions": "0001_initial",
    }


def test_password_goes_to_the_child_environment_never_to_the_command_line() -> None:
    secret = "s3cret-" + uuid.uuid4().hex
    params = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "prod",
        "HOST": "db.internal",
        "PORT": "6432",
        "USER": "app",
        "PASSWORD": secret,
        "OPTIONS": {"sslmode": "require"},
    }

    args, env = backup.libpq_arguments(params)

    assert args == ["--dbname=prod", "--host=db.internal", "--port=6432", "--username=app"]
    assert not any(secret in arg for arg in args)
    assert env["PGPASSWORD"] == secret
    assert env["PGSSLMODE"] == "require"
    assert os.environ.get("PGPASSWORD") != secret  # our own process environment is untouched


# --- PostgreSQL -----------------------------------------------------------------------------------------------------


def _postgresql_admin() -> Callable[[str], None]:
    """A function running one statement on the `postgres` maintenance database; skip when there is no server."""
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore are not installed")
    import psycopg

    try:
        psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT}: {exc}")

    def execute(statement: str) -> None:
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    return execute


@pytest.fixture
def scratch_postgresql() -> Iterator[tuple[str, str, Callable[[str], None]]]:
    """A database of this test's own, with a unique name so parallel runs never meet; dropped at the end."""
    admin = _postgresql_admin()
    name = f"sc_backup_test_{uuid.uuid4().hex[:12]}"
    admin(f'CREATE DATABASE "{name}"')
    try:
        yield name, f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}", admin
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgresql_round_trip_restores_every_table_and_row_into_a_recreated_database(
    scratch_postgresql: tuple[str, str, Callable[[str], None]], tmp_path: Path
) -> None:
    name, url, admin = scratch_postgresql
    run_ok(tmp_path, url, "manage", "migrate", "--no-input", "--skip-checks", "-v0")
    run_ok(tmp_path, url, "manage", "seed_demo", "--skip-checks")
    before = postgresql_state(name)
    assert_populated(before)
    dump = tmp_path / "backups" / "nightly.dump"

    out = run_ok(tmp_path, url, "backup", "--output", str(dump))

    assert str(dump) in out
    assert dump.read_bytes().startswith(b"PGDMP")
    manifest = manifest_of(dump)
    assert manifest["engine"] == "postgresql"
    assert manifest["tables"] == {table: len(rows) for table, rows in before["contents"].items()}

    # the worst case: the database is gone and an empty one stands in its place
    admin(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{name}"')
    assert postgresql_state_tables(name) == []

    out = run_ok(tmp_path, url, "restore", str(dump), "--yes")

    assert "row counts match the manifest for every table" in out
    assert_same_state(before, postgresql_state(name))

    # --clean: restoring over a live database that has moved on brings back exactly the backed-up rows
    import psycopg

    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=name, autocommit=True) as conn:
        conn.execute("DELETE FROM surveys_answer")
        conn.execute("UPDATE accounts_customer SET email = 'changed@example.test'")
        conn.execute("INSERT INTO django_session VALUES ('added-after-backup', 'x', now())")

    run_ok(tmp_path, url, "restore", str(dump), "--yes")

    assert_same_state(before, postgresql_state(name))


def postgresql_state_tables(dbname: str) -> list[str]:
    import psycopg

    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname) as conn:
        return [name for (name,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
