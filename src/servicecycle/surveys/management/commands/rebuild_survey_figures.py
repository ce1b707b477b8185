from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from servicecycle.surveys.figures import rebuild
from servicecycle.surveys.models import Survey


class Command(BaseCommand):
    help = (
        "Count the results' summary of surveys (surveys.figures) again from their answers: after responses or "
        "answers were written outside the app (manual SQL). The app's own writes keep the summary exact without it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--survey", type=int, help="the id of one survey (default: every survey)")

    def handle(self, *args: Any, **options: Any) -> None:
        surveys = Survey.objects.order_by("pk")
        if options["survey"] is not None:
            surveys = surveys.filter(pk=options["survey"])
            if not surveys.exists():
                raise CommandError(f"No survey with the id {options['survey']}.")
        done = rows = 0
        for pk in surveys.values_list("pk", flat=True):
            rows += rebuild(pk)
            done += 1
        self.stdout.write(f"survey figures rebuilt: {done} surveys, {rows} summary rows")
