from __future__ import annotations

import imaplib
import mailbox as mailboxes
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.core.management.base import BaseCommand, CommandError, CommandParser

from servicecycle.accounts.models import Organization
from servicecycle.cases import inbound
from servicecycle.cases.tasks import fetch_case_mail


class Command(BaseCommand):
    help = (
        "Read customer email into cases: replies that name a case reference join that case, other messages become "
        "new complaints, and unusable ones go to the quarantine (never dropped). Without options, reads every "
        "mailbox of CASE_MAILBOXES; with --maildir or --imap, reads that one for --organization."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--maildir", metavar="PATH", help="a maildir folder (with cur/, new/ and tmp/)")
        source.add_argument("--imap", metavar="URL", help="imaps://user:password@host:993/INBOX (imap:// for no TLS)")
        parser.add_argument("--organization", metavar="SLUG", help="the organization the mailbox belongs to")
        parser.add_argument("--address", default="", help="the address customers write to (for the Reply-To)")
        parser.add_argument(
            "--enqueue", action="store_true", help="queue the configured mailboxes for the worker instead"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path, url, slug = options["maildir"], options["imap"], options["organization"]
        if not (path or url):
            if slug:
                raise CommandError("--organization goes with --maildir or --imap")
            if options["enqueue"]:
                self.stdout.write(f"mail fetch queued as task {fetch_case_mail.enqueue().id}")
                return
            try:
                results = fetch_case_mail.call()
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            if not results:
                self.stdout.write("no mailboxes configured (CASE_MAILBOXES is empty)")
            for label, counts in results.items():
                self.stdout.write(f"{label}: {self._summary(counts)}")
            return
        if not slug:
            raise CommandError("say which organization the mailbox belongs to: --organization SLUG")
        if not Organization.objects.filter(slug=slug).exists():
            raise CommandError(f"no organization with the short name {slug!r}")
        location = "maildir://" + quote(str(Path(path).resolve())) if path else url
        try:
            mailbox = inbound.parse_mailbox(slug, location)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["address"]:
            mailbox = inbound.Mailbox(mailbox.organization, mailbox.url, options["address"], mailbox.service_id)
        try:
            result = inbound.fetch(mailbox)
        except (OSError, mailboxes.Error, imaplib.IMAP4.error) as exc:
            raise CommandError(f"{mailbox.label} could not be read: {exc!r}") from exc
        self.stdout.write(f"{mailbox.label}: {self._summary(result.as_dict())}")

    @staticmethod
    def _summary(counts: dict[str, int]) -> str:
        if counts.get("failed"):
            return "could not be read (see the log)"
        return (
            f"new cases: {counts['created']}, replies: {counts['replies']}, "
            f"quarantined: {counts['quarantined']}, already read: {counts['duplicates']}"
        )
