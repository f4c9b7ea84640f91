"""``touchstone refresh-summaries``: bring every clinic's summaries up to date (cron every few
minutes; the job runner will run the same ``outcomes.summaries.refresh_clinic``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from touchstone.accounts.commands import TouchstoneCommand
from touchstone.accounts.models import Clinic
from touchstone.lib.planner import refresh_planner_statistics
from touchstone.logs.commands import as_job
from touchstone.outcomes.summaries import refresh_clinic


class Command(TouchstoneCommand):
    help = (
        "Refit stale trajectory models and recompute the outcomes dashboard's stored reports "
        "of every clinic whose records changed (or of one clinic)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", help="Slug of one clinic (default: all)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Rebuild the client lists and the reports even if nothing changed.",
        )

    @as_job("refresh-summaries")
    def handle(self, *args: Any, **options: Any) -> None:
        clinics = Clinic.objects.order_by("pk")
        if options["clinic"]:
            clinics = clinics.filter(slug=options["clinic"])
        for clinic in clinics:
            done = refresh_clinic(self.actor_for(clinic), clinic, force=options["force"])
            self.stdout.write(
                f"{clinic.slug}: lists {'rebuilt' if done['lists_built'] else 'current'}, "
                f"reports {'recomputed' if done['reports_computed'] else 'current'}"
            )
        refresh_planner_statistics()  # SQLite: a client's rows through the client's index
