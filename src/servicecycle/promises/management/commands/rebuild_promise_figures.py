from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from servicecycle.accounts.models import Organization
from servicecycle.promises.figures import rebuild_figures


class Command(BaseCommand):
    help = (
        "Count the per-day kept-rate summary of promises again from the promises themselves: after rows were "
        "written outside the app (bulk imports, manual SQL) or after an organization changed its time zone. "
        "The app's own writes keep the summary exact without it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", help="the slug of one organization (default: every organization)")

    def handle(self, *args: Any, **options: Any) -> None:
        organization_id = None
        if options["organization"]:
            organization = Organization.objects.filter(slug=options["organization"]).first()
            if organization is None:
                raise CommandError(f"No organization with the slug {options['organization']!r}.")
            organization_id = organization.pk
        rows = rebuild_figures(organization_id)
        self.stdout.write(f"promise figures rebuilt: {rows} summary rows")
