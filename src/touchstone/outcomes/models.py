"""Stored fits of the clinic's expected-trajectory model (one row per clinic and instrument)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from touchstone.accounts.access import ClinicOwned


class TrajectoryFit(ClinicOwned):
    """The fitted parameters of ``score ~ weeks * baseline + (weeks | client)`` for one
    instrument in one clinic (``science.trajectories.params.model_params``), refitted when
    stale or by ``touchstone fit-trajectories``. Holds no client data: only model
    parameters and counts."""

    instrument_id = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    n_clients = models.PositiveIntegerField(default=0)
    n_observations = models.PositiveIntegerField(default=0)
    seconds = models.FloatField("Fit time (s)", default=0.0)
    fitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["clinic", "instrument_id"], name="one_fit_per_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} trajectory fit ({timezone.localdate(self.fitted_at)})"
