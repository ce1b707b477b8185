"""Back up and restore the whole database, with a manifest that lets a restore prove it is complete.

PostgreSQL goes through `pg_dump --format=custom` and `pg_restore`; SQLite through the sqlite3 online backup
API, which copies a live (WAL) database consistently where a plain file copy could catch it half-written.

Next to every dump sits `<dump>.manifest.json`: the engine, when the backup was taken, the migration each app
had reached, the dump's size and SHA-256, and the row count of every table. The counts are taken from the same
snapshot the dump holds (the exported snapshot on PostgreSQL, the copy itself on SQLite), so a restore that
yields different counts has really lost or gained rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, transaction

MANIFEST_FORMAT = 1
MANIFEST_SUFFIX = ".manifest.json"
POSTGRESQL = "postgresql"
SQLITE = "sqlite"
PG_DUMP_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
# pg_restore waits for table locks held by running app processes and workers; fail instead of hanging forever
RESTORE_LOCK_TIMEOUT = "60s"
# connection settings that libpq reads from the environment, mapped from Django's OPTIONS
LIBPQ_OPTION_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class BackupError(Exception):
    """The backup or restore cannot go on; the message says what is wrong in one line."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest_path: Path
    size: int
    manifest: dict[str, Any]


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict[str, Any]
    counts: dict[str, int]
    differences: list[str]
    migration_notes: list[str]


def engine_of(alias: str = "default") -> str:
    engine = connections[alias].settings_dict["ENGINE"]
    if "sqlite" in engine:
        return SQLITE
    if "postgres" in engine:
        return POSTGRESQL
    raise BackupError(f"backups support PostgreSQL and SQLite, not {engine}")


def manifest_path_for(dump: Path) -> Path:
    return dump.with_name(dump.name + MANIFEST_SUFFIX)


def default_backup_path(engine: str, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    suffix = ".sqlite3" if engine == SQLITE else ".dump"
    return Path(settings.VAR_DIR) / "backups" / f"servicecycle-{stamp}{suffix}"


def database_label(alias: str = "default") -> str:
    """Where the data lives, for messages: host:port/name on PostgreSQL, the file on SQLite (never the password)."""
    params = connections[alias].settings_dict
    if engine_of(alias) == SQLITE:
        return str(params["NAME"])
    return f"{params.get('HOST') or 'localhost'}:{params.get('PORT') or 5432}/{params['NAME']}"


# --- manifest ------------------------------------------------------------------------------------------------------


def migration_leaves(applied: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The last applied migration of each app: applied ones that no other applied migration of the app builds on."""
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    by_app: dict[str, set[str]] = defaultdict(set)
    for app, name in applied:
        by_app[app].add(name)
    leaves: dict[str, str] = {}
    for app, names in sorted(by_app.items()):
        superseded: set[str] = set()
        for name in names:
            node = graph.node_map.get((app, name))
            if node is not None:
                superseded.update(parent.key[1] for parent in node.parents if parent.key[0] == app)
        leaves[app] = sorted(names - superseded or names)[-1]
    return leaves


def code_migration_leaves() -> dict[str, str]:
    """The migration each app's code ends at, to tell whether a backup is older or newer than the code."""
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    leaves: dict[str, str] = {}
    for app, name in sorted(graph.leaf_nodes()):
        leaves[app] = max(leaves.get(app, name), name)
    return leaves


def _count_rows(cursor: Any, tables: Iterable[str], quote: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - introspected table names, quoted
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [row[0] for row in rows if not row[0].startswith("sqlite_")]  # SQLite's own bookkeeping tables


def _sqlite_state(path: Path) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Row counts and applied migrations of a SQLite file, read without changing it."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = _sqlite_tables(conn)
        counts = _count_rows(conn.cursor(), tables, _sqlite_quote)
        applied: list[tuple[str, str]] = []
        if "django_migrations" in tables:
            applied = [(app, name) for app, name in conn.execute("SELECT app, name FROM django_migrations")]
        return counts, applied
    finally:
        conn.close()


def _postgresql_state(alias: str) -> tuple[dict[str, int], list[tuple[str, str]]]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = _count_rows(cursor, tables, connection.ops.quote_name)
        applied: list[tuple[str, str]] = []
        if "django_migrations" in tables:
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = [(app, name) for app, name in cursor.fetchall()]
    return counts, applied


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_manifest(
    *, engine: str, dump: Path, counts: Mapping[str, int], applied: Iterable[tuple[str, str]], created_at: dt.datetime
) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "engine": engine,
        "created_at": created_at.isoformat(),
        "dump": {"file": dump.name, "bytes": dump.stat().st_size, "sha256": _sha256(dump)},
        "migrations": migration_leaves(applied),
        "tables": dict(sorted(counts.items())),
        "total_rows": sum(counts.values()),
    }


def read_manifest(dump: Path) -> dict[str, Any]:
    path = manifest_path_for(dump)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            f"no manifest next to the backup ({path}): restore cannot check the result; "
            "pass --skip-check to restore without it"
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read the manifest {path}: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tables"), dict):
        raise BackupError(f"the manifest {path} is not a servicecycle backup manifest")
    return manifest


def compare_counts(expected: Mapping[str, int], actual: Mapping[str, int]) -> list[str]:
    """One line per table whose row count differs from the manifest, or that is missing on either side."""
    differences: list[str] = []
    for table in sorted(set(expected) | set(actual)):
        if table not in actual:
            differences.append(f"{table}: missing after restore (backup had {expected[table]} rows)")
        elif table not in expected:
            differences.append(f"{table}: not in the backup, has {actual[table]} rows")
        elif expected[table] != actual[table]:
            differences.append(f"{table}: backup had {expected[table]} rows, database has {actual[table]}")
    return differences


def compare_migrations(backup: Mapping[str, str], code: Mapping[str, str]) -> list[str]:
    notes: list[str] = []
    for app in sorted(set(backup) | set(code)):
        if backup.get(app) != code.get(app):
            notes.append(f"{app}: backup at {backup.get(app) or '(none)'}, code at {code.get(app) or '(none)'}")
    return notes


# --- helpers shared by both engines -------------------------------------------------------------------------------


def _partial_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def _prepare_output(path: Path) -> Path:
    """Create the folder and prove the dump can be written there, before touching the database."""
    partial = _partial_path(path)
    blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise BackupError(f"cannot write the backup to {path}: {blocking} is a file, not a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(b"")
    except OSError as exc:
        raise BackupError(f"cannot write the backup to {path}: {exc.strerror or exc} ({exc.filename})") from exc
    return partial


def _write_manifest(dump: Path, manifest: Mapping[str, Any]) -> Path:
    path = manifest_path_for(dump)
    partial = _partial_path(path)
    try:
        partial.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        raise BackupError(f"cannot write the manifest {path}: {exc.strerror or exc}") from exc
    return path


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no details"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found on PATH: install the PostgreSQL client tools matching the server "
            "(Debian/Ubuntu: apt install postgresql-client)"
        )
    return found


def libpq_arguments(params: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore (from Django's settings_dict) and the child's environment.

    The password goes only into the child's environment (PGPASSWORD): never on a command line that `ps` shows.
    """
    args = [f"--dbname={params['NAME']}"]
    if params.get("HOST"):
        args.append(f"--host={params['HOST']}")
    if params.get("PORT"):
        args.append(f"--port={params['PORT']}")
    if params.get("USER"):
        args.append(f"--username={params['USER']}")
    env = dict(os.environ)
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    for option, variable in LIBPQ_OPTION_ENV.items():
        value = (params.get("OPTIONS") or {}).get(option)
        if value not in (None, ""):
            env[variable] = str(value)
    return args, env


def _connect(alias: str) -> None:
    try:
        connections[alias].ensure_connection()
    except DatabaseError as exc:
        raise BackupError(f"cannot connect to the database {database_label(alias)}: {_first_line(str(exc))}") from exc


# --- backup -------------------------------------------------------------------------------------------------------


def backup(output: Path | None = None, *, alias: str = "default") -> BackupResult:
    engine = engine_of(alias)
    created_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    path = Path(output) if output is not None else default_backup_path(engine, created_at)
    pg_dump = _tool("pg_dump") if engine == POSTGRESQL else ""  # a missing tool is named before anything happens
    partial = _prepare_output(path)
    try:
        if engine == POSTGRESQL:
            counts, applied = _postgresql_dump(pg_dump, partial, alias)
        else:
            _sqlite_copy(Path(connections[alias].settings_dict["NAME"]), partial)
            counts, applied = _sqlite_state(partial)
    except BaseException:
        partial.unlink(missing_ok=True)  # never leave a half-written dump behind
        raise
    try:
        manifest = build_manifest(engine=engine, dump=partial, counts=counts, applied=applied, created_at=created_at)
        manifest["dump"]["file"] = path.name
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"cannot write the backup to {path}: {exc.strerror or exc}") from exc
    manifest_path = _write_manifest(path, manifest)
    return BackupResult(path=path, manifest_path=manifest_path, size=path.stat().st_size, manifest=manifest)


def _postgresql_dump(pg_dump: str, partial: Path, alias: str) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Dump and count inside one exported snapshot, so the manifest describes exactly what the dump holds."""
    _connect(alias)
    connection = connections[alias]
    args, env = libpq_arguments(connections[alias].settings_dict)
    try:
        with transaction.atomic(using=alias):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            counts, applied = _postgresql_state(alias)
            command = [
                pg_dump,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={partial}",
                *args,
            ]
            result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except DatabaseError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"cannot read the database {database_label(alias)}: {_first_line(str(exc))}") from exc
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed (exit {result.returncode}): {_first_line(result.stderr)}")
    return counts, applied


def _sqlite_copy(source_path: Path, dest_path: Path) -> None:
    if not source_path.is_file():
        raise BackupError(f"the SQLite database {source_path} does not exist")
    try:
        source = sqlite3.connect(f"{source_path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open the SQLite database {source_path}: {exc}") from exc
    try:
        dest = sqlite3.connect(dest_path)
        try:
            source.backup(dest)  # one step: a read lock for the whole copy, so the copy is one consistent state
            dest.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        finally:
            dest.close()
    except sqlite3.Error as exc:
        dest_path.unlink(missing_ok=True)
        raise BackupError(f"cannot copy the SQLite database {source_path}: {exc}") from exc
    finally:
        source.close()


# --- restore ------------------------------------------------------------------------------------------------------


def check_backup(path: Path, *, alias: str = "default", skip_check: bool = False) -> dict[str, Any] | None:
    """Everything that can be verified before the database is touched: file, kind, engine, checksum."""
    engine = engine_of(alias)
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise BackupError(f"cannot read the backup {path}: {exc.strerror or exc}") from exc
    if engine == POSTGRESQL and not head.startswith(PG_DUMP_MAGIC):
        kind = "a SQLite backup" if head.startswith(SQLITE_MAGIC) else "not a pg_dump custom-format file"
        raise BackupError(f"{path} is {kind}; the configured database is PostgreSQL")
    if engine == SQLITE and not head.startswith(SQLITE_MAGIC):
        kind = "a PostgreSQL backup" if head.startswith(PG_DUMP_MAGIC) else "not a SQLite database file"
        raise BackupError(f"{path} is {kind}; the configured database is SQLite")
    if skip_check:
        return None
    manifest = read_manifest(path)
    if manifest.get("engine") != engine:
        raise BackupError(f"the manifest says this backup is from {manifest.get('engine')}, the database is {engine}")
    expected = manifest.get("dump", {}).get("sha256")
    if expected and _sha256(path) != expected:
        raise BackupError(f"{path} does not match its manifest's SHA-256: the file is damaged or was replaced")
    return manifest


def restore(path: Path, *, alias: str = "default", skip_check: bool = False) -> RestoreResult:
    path = Path(path)
    manifest = check_backup(path, alias=alias, skip_check=skip_check)
    engine = engine_of(alias)
    if engine == POSTGRESQL:
        pg_restore = _tool("pg_restore")
        _connect(alias)
        connections[alias].close()  # our own idle connection must not hold anything pg_restore needs
        _postgresql_restore(pg_restore, path, alias)
        counts, _ = _postgresql_state(alias)
    else:
        target = Path(connections[alias].settings_dict["NAME"])
        connections[alias].close()
        _sqlite_restore(path, target)
        counts, _ = _sqlite_state(target)
    if manifest is None:
        return RestoreResult(manifest={}, counts=counts, differences=[], migration_notes=[])
    return RestoreResult(
        manifest=manifest,
        counts=counts,
        differences=compare_counts(manifest["tables"], counts),
        migration_notes=compare_migrations(manifest.get("migrations", {}), code_migration_leaves()),
    )


def _postgresql_restore(pg_restore: str, path: Path, alias: str) -> None:
    args, env = libpq_arguments(connections[alias].settings_dict)
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={RESTORE_LOCK_TIMEOUT}".strip()
    command = [
        pg_restore,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        *args,
        str(path),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(
            f"pg_restore failed (exit {result.returncode}), nothing was changed: {_first_line(result.stderr)}"
        )


def _sqlite_restore(backup_path: Path, target: Path) -> None:
    """Write the backup's pages into the live database through the backup API (other connections see it at once)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"{backup_path.resolve().as_uri()}?mode=ro", uri=True)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"cannot open {backup_path} or the folder of {target}: {exc}") from exc
    try:
        dest = sqlite3.connect(target, timeout=30)
        try:
            source.backup(dest)
        finally:
            dest.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot restore into the SQLite database {target}: {exc}") from exc
    finally:
        source.close()
