from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from servicecycle.cases.tasks import sweep_case_deadlines


class Command(BaseCommand):
    help = (
        "Record the SLA warnings and escalations of open cases whose deadline has passed (the safety net behind "
        "the per-case deadline tasks). Run it from cron every few minutes, or with --enqueue to hand it to the worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=500, help="at most this many cases per run (default 500)")
        parser.add_argument(
            "--enqueue", action="store_true", help="queue the sweep for the worker instead of running it"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = sweep_case_deadlines.enqueue(limit=options["limit"])
            self.stdout.write(f"sweep queued as task {result.id}")
            return
        counts = sweep_case_deadlines.call(limit=options["limit"])
        self.stdout.write(
            f"warnings: {counts['warning']}, escalations: {counts['breached']}, "
            f"postponed after an error: {counts['failed']}"
        )
