from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from servicecycle.core import backup


class Command(BaseCommand):
    help = (
        "Replace ALL data in the configured database with a backup made by `servicecycle backup`, then check "
        "every table's row count against the backup's manifest."
    )
    requires_system_checks: list[str] = []  # no URL or view imports needed: start fast, work when checks fail

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file (its manifest is read from <path>.manifest.json)")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument(
            "--skip-check", action="store_true", help="restore a backup that has no manifest (no row-count check)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            manifest = backup.check_backup(path, skip_check=options["skip_check"])
            target = backup.database_label()
        except backup.BackupError as exc:
            raise CommandError(f"restore refused: {exc}") from exc
        if not options["yes"]:
            self._confirm(path, target, manifest)
        try:
            result = backup.restore(path, skip_check=options["skip_check"])
        except backup.BackupError as exc:
            raise CommandError(f"restore failed: {exc}") from exc
        total = sum(result.counts.values())
        self.stdout.write(f"restored {path} into {target}: {len(result.counts)} tables, {total} rows")
        for note in result.migration_notes:
            self.stdout.write(f"migrations differ from the code: {note}")
        if result.migration_notes:
            self.stdout.write("run `servicecycle manage migrate` if the backup is older than the code")
        if options["skip_check"]:
            self.stdout.write("row counts not checked (--skip-check)")
            return
        if result.differences:
            for line in result.differences:
                self.stderr.write(f"row count differs: {line}")
            raise CommandError(f"restore incomplete: {len(result.differences)} tables differ from the manifest")
        self.stdout.write(self.style.SUCCESS("row counts match the manifest for every table"))

    def _confirm(self, path: Path, target: str, manifest: dict[str, Any] | None) -> None:
        if not sys.stdin.isatty():
            raise CommandError("restore refused: it replaces all data in the database; pass --yes to confirm")
        taken = f", taken {manifest['created_at']}" if manifest else ""
        self.stdout.write(f"This replaces ALL data in {target} with the backup {path}{taken}.")
        try:
            answer = input("Type 'yes' to continue: ")
        except (EOFError, KeyboardInterrupt):
            answer = ""
        if answer.strip().lower() != "yes":
            raise CommandError("restore cancelled: nothing was changed")
