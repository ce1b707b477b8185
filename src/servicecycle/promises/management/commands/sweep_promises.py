from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from servicecycle.promises.tasks import sweep_promises


class Command(BaseCommand):
    help = (
        "Escalate unanswered confirmation requests, warn about promises at risk and mark overdue promises as "
        "broken (the safety net behind each promise's own deadline task). Run it from cron every few minutes, "
        "or with --enqueue to hand it to the worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=500, help="at most this many promises per run (default 500)")
        parser.add_argument(
            "--enqueue", action="store_true", help="queue the sweep for the worker instead of running it"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = sweep_promises.enqueue(limit=options["limit"])
            self.stdout.write(f"sweep queued as task {result.id}")
            return
        counts = sweep_promises.call(limit=options["limit"])
        self.stdout.write(
            f"escalated requests: {counts['escalated']}, at risk: {counts['at_risk']}, broken: {counts['broken']}, "
            f"postponed after an error: {counts['failed']}"
        )
