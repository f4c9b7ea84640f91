"""``touchstone cleanup``: delete expired sessions, uploads and throttling rows
(operations/cleanup.py). Run it daily (cron or the job runner); a second run is a no-op."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from touchstone.logs import job
from touchstone.operations.cleanup import run_cleanup


class Command(BaseCommand):
    help = "Delete what has expired: sessions, unconfirmed uploads, old sign-in failures."

    def handle(self, *args: Any, **options: Any) -> None:
        with job("cleanup"):
            counts = run_cleanup()
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count} deleted")
