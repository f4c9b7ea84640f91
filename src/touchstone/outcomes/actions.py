"""Writes of the outcomes app: storing a trajectory fit (audited; parameters only)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from touchstone.accounts.models import Clinic
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.outcomes.models import TrajectoryFit


def do_fit_trajectory(
    clinic: Clinic,
    instrument_id: str,
    request: HttpRequest | None = None,
    *,
    channel: str | None = None,
) -> TrajectoryFit:
    """Fit the clinic's expected-trajectory model for one instrument and store it.

    Raises ``ValueError`` when the clinic's history is too thin to fit.
    """
    from touchstone.outcomes.trajectories import store_fit

    with transaction.atomic():
        fit = store_fit(clinic, instrument_id)
        record(
            request,
            Action.UPDATE,
            fit,
            detail=f"trajectory fit {instrument_id}: {fit.n_clients} clients",
            clinic=clinic,
            channel=channel,
        )
    return fit
