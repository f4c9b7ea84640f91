"""Writes of the outcomes app: storing a trajectory fit (audited; parameters only)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from touchstone.accounts.models import Clinic
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.logs import get_logger
from touchstone.outcomes.models import TrajectoryFit

log = get_logger(__name__)

#: A fit slower than this is logged as a warning: fits can run inside a page request (the
#: dashboard refits a stale model), so an operator should hear of them.
SLOW_FIT_SECONDS = 2.0


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

    try:
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
    except ValueError as error:
        log.info(
            "trajectory_not_fitted",
            clinic_id=clinic.pk,
            instrument=instrument_id,
            error=type(error).__name__,
        )
        raise
    slow = fit.seconds > SLOW_FIT_SECONDS
    (log.warning if slow else log.info)(
        "trajectory_fitted",
        clinic_id=clinic.pk,
        instrument=instrument_id,
        clients=fit.n_clients,
        observations=fit.n_observations,
        duration_ms=round(fit.seconds * 1000, 1),
        slow=slow,
    )
    return fit
