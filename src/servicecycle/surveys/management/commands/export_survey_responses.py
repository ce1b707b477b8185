from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from servicecycle.surveys import exports
from servicecycle.surveys.models import Survey


class Command(BaseCommand):
    help = "Write a survey's responses to a file: one row per response, one column per question (streamed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("survey_id", type=int)
        parser.add_argument("--format", choices=sorted(exports.FORMATS), default="csv")
        parser.add_argument("-o", "--output", type=Path, required=True, help="the file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        survey = Survey.objects.filter(pk=options["survey_id"]).first()
        if survey is None:
            raise CommandError(f"no survey {options['survey_id']}")
        with options["output"].open("wb") as out:
            exports.write(survey, options["format"], out)
        self.stdout.write(f"wrote {options['output']} ({survey.responses.count()} responses)")
