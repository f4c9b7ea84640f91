"""``touchstone worker``: run the background jobs (docs/jobs.md).

``touchstone worker`` runs until Ctrl-C or SIGTERM (a running task is finished first);
``touchstone worker --once`` enqueues the periodic jobs that are due, runs every task that is
ready now and exits (scripts, cron and the tests use it).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from touchstone.accounts.commands import bad
from touchstone.jobs import runner


class Command(BaseCommand):
    help = "Run the background jobs: reminders, alert escalations, nightly refits."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Run everything due now, then exit."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help="Seconds between two looks at the queue when it is empty (default 5).",
        )

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        if interval <= 0:
            raise bad("--interval must be a positive number of seconds")
        # The runner's own job_* events say what ran; the library's start lines add nothing.
        logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
        ran = runner.run(once=once, interval=interval)
        if once and options["verbosity"] > 0:
            self.stdout.write(f"{ran} task(s) run")
