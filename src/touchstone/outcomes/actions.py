"""Writes of the outcomes app: fitting and storing the clinic's expected-trajectory models
(audited; parameters only). ``outcomes.trajectories`` reads what is stored here."""

from __future__ import annotations

import time

import numpy as np
from django.db import transaction
from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.logs import get_logger
from touchstone.outcomes.models import TrajectoryFit
from touchstone.outcomes.trajectories import FIT_MAX_AGE, TRAJECTORY_INSTRUMENTS, fit_model
from touchstone.science.trajectories.params import model_params

log = get_logger(__name__)

#: A fit slower than this is logged as a warning: fits can run inside a page request (the
#: dashboard refits a stale model), so an operator should hear of them.
SLOW_FIT_SECONDS = 2.0


def do_fit_trajectory(actor: Actor, clinic: Clinic, instrument_id: str) -> TrajectoryFit:
    """Fit the clinic's expected-trajectory model for one instrument and store it (insert or
    replace).

    Raises ``ValueError`` when the clinic's history is too thin to fit.
    """
    try:
        started = time.perf_counter()
        model, data = fit_model(clinic, instrument_id)
        seconds = time.perf_counter() - started
        with transaction.atomic():
            fit, _ = TrajectoryFit.objects.update_or_create(
                clinic=clinic,
                instrument_id=instrument_id,
                defaults={
                    "params": model_params(model),
                    "n_clients": int(np.unique(data.client).size),
                    "n_observations": int(data.score.size),
                    "seconds": seconds,
                    "fitted_at": timezone.now(),
                },
            )
            record(
                actor,
                Action.UPDATE,
                fit,
                detail=f"trajectory fit {instrument_id}: {fit.n_clients} clients",
                clinic=clinic,
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


def do_refresh_trajectories(actor: Actor, clinic: Clinic) -> None:
    """Refit the clinic's missing or stale models (older than ``FIT_MAX_AGE``) where the
    history allows; a clinic with too thin a history keeps no model."""
    fitted_at = dict(
        TrajectoryFit.objects.filter(clinic=clinic).values_list("instrument_id", "fitted_at")
    )
    for instrument_id in TRAJECTORY_INSTRUMENTS:
        when = fitted_at.get(instrument_id)
        if when is not None and timezone.now() - when <= FIT_MAX_AGE:
            continue
        try:
            do_fit_trajectory(actor, clinic, instrument_id)
        except ValueError:
            continue
