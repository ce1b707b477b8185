from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from servicecycle.core.errors import DomainError
from servicecycle.surveys import imports
from servicecycle.surveys.models import ImportJob, Survey, Wave


class Command(BaseCommand):
    help = (
        "Import a survey's responses from a CSV or XLSX file made by another survey tool. The mapping file is a "
        'JSON object {"column": "target"}: targets are Q3, Q4.expectation, Q5.A2.importance, Q6.A1, respondent_id, '
        "submitted_at, language, channel, customer_email (without --mapping the mapping guessed from the header is "
        "used and printed). The file is checked whole before anything is saved (unless --mode batches). Exits with "
        "status 1 and the errors when the file has any; an interrupted import goes on with --resume JOB."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("survey_id", type=int)
        parser.add_argument("file", type=Path, help="the .csv or .xlsx file (with --resume: the job's stored copy)")
        parser.add_argument("--mapping", type=Path, help="JSON file mapping column names to targets")
        parser.add_argument("--resume", type=int, metavar="JOB", help="go on with this interrupted import job")
        parser.add_argument("--mode", choices=ImportJob.Mode.values, default=ImportJob.Mode.CHECK_FIRST)
        parser.add_argument("--wave", type=int, help="put the responses in this wave of the survey")
        parser.add_argument("--batch-size", type=int, default=imports.BATCH_SIZE)
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="the language of a new job's error messages (a resumed job keeps its own)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        survey = Survey.objects.filter(pk=options["survey_id"]).first()
        if survey is None:
            raise CommandError(f"no survey {options['survey_id']}")
        try:
            job = self._job(survey, options)
            imports.queue(job, background=False)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        done = imports.run(job.pk, progress=self._progress, size=options["batch_size"])
        if done is None:
            raise CommandError(f"import job {job.pk} is running elsewhere")
        if done.status == ImportJob.Status.DONE:
            self.stdout.write(f"{done.responses_created} responses imported from {done.rows_done} rows (job {done.pk})")
            return
        for error in done.errors:
            where = f"row {error['row']}, column {error['column'] or '-'}" if error["row"] else "file"
            self.stderr.write(f"{where}: {error['message']}")
        if done.error_count > len(done.errors):
            self.stderr.write(f"... and {done.error_count - len(done.errors)} more errors")
        if done.status == ImportJob.Status.FAILED:
            self.stderr.write(f"interrupted: resume with --resume {done.pk}")
        else:
            self.stderr.write(f"nothing more imported: {done.responses_created} responses saved (job {done.pk})")
        raise SystemExit(1)

    def _job(self, survey: Survey, options: dict[str, Any]) -> ImportJob:
        if options["resume"]:
            job = ImportJob.objects.filter(pk=options["resume"], survey=survey).first()
            if job is None:
                raise CommandError(f"no import job {options['resume']} for survey {survey.pk}")
            self.stdout.write(f"resuming job {job.pk} after {job.rows_done} committed rows")
            return job
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no file {path}")
        wave = None
        if options["wave"]:
            wave = Wave.objects.filter(pk=options["wave"], survey=survey).first()
            if wave is None:
                raise CommandError(f"no wave {options['wave']} in survey {survey.pk}")
        with path.open("rb") as f:
            job = imports.start(
                acting_user=None, survey=survey, file=f, file_name=path.name, wave=wave, mode=options["mode"]
            )
        if options["mapping"]:
            try:
                mapping = json.loads(options["mapping"].read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"cannot read the mapping: {exc}") from None
            if not isinstance(mapping, dict):
                raise CommandError('the mapping must be a JSON object {"column": "target"}')
        else:
            mapping = job.mapping
            self.stdout.write("mapping guessed from the header:\n" + json.dumps(mapping, indent=2, ensure_ascii=False))
        imports.set_mapping(acting_user=None, job=job, mapping=mapping, mode=options["mode"])
        return job

    def _progress(self, job: ImportJob) -> None:
        total = job.rows_total if job.rows_total is not None else "?"
        if job.status == ImportJob.Status.CHECKING:
            self.stdout.write(f"checked {job.rows_checked}/{total} rows, {job.error_count} errors")
        else:
            self.stdout.write(f"imported {job.rows_done}/{total} rows ({job.responses_created} responses)")
