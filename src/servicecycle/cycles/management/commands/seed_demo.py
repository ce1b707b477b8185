from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from servicecycle.demo import load
from servicecycle.demo.data import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Load the demo organizations (a building-materials retailer and a dental clinic). Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = load()
        self.stdout.write(self.style.SUCCESS("Demo organizations are loaded."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for organization, email, role in logins:
            self.stdout.write(f"  {email:<36} {role:<10} {organization}")
