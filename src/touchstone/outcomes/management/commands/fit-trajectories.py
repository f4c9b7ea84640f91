"""``touchstone fit-trajectories``: refit every clinic's expected-trajectory models."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from tqdm import tqdm

from touchstone.accounts.commands import TouchstoneCommand
from touchstone.accounts.models import Clinic
from touchstone.logs.commands import as_job
from touchstone.outcomes.actions import do_fit_trajectory
from touchstone.outcomes.trajectories import TRAJECTORY_INSTRUMENTS


class Command(TouchstoneCommand):
    help = "Fit the expected-trajectory model (PHQ-9, GAD-7) of every clinic, or of one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", help="Slug of one clinic (default: all)")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    @as_job("fit-trajectories")
    def handle(self, *args: Any, **options: Any) -> None:
        clinics = Clinic.objects.order_by("pk")
        if options["clinic"]:
            clinics = clinics.filter(slug=options["clinic"])
        jobs = [(c, i) for c in clinics for i in TRAJECTORY_INSTRUMENTS]
        for clinic, instrument_id in tqdm(
            jobs, desc="trajectory fits", unit="fit", disable=options["no_progress"]
        ):
            try:
                fit = do_fit_trajectory(self.actor_for(clinic), clinic, instrument_id)
            except ValueError as error:
                self.stdout.write(f"{clinic.slug} {instrument_id}: not fitted ({error})")
                continue
            self.stdout.write(
                f"{clinic.slug} {instrument_id}: {fit.n_clients} clients, "
                f"{fit.n_observations} scores, {fit.seconds:.2f} s"
            )
