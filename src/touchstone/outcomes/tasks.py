"""Background tasks of the outcomes app (run by the worker, docs/jobs.md)."""

from __future__ import annotations

from typing import Any

from django_tasks import TaskContext, task

from touchstone.accounts.jobs import clinic_job
from touchstone.outcomes.actions import do_refresh_trajectories
from touchstone.outcomes.models import TrajectoryFit
from touchstone.outcomes.summaries import refresh_clinic


@task(takes_context=True)
def refit_trajectories(context: TaskContext, clinic_id: int) -> dict[str, int]:
    """The nightly refit of the clinic's expected-recovery models that are missing or stale:
    the work the dashboard used to do inside a GET."""
    with clinic_job(context, clinic_id) as (actor, clinic):
        do_refresh_trajectories(actor, clinic)
        return {"models": TrajectoryFit.objects.filter(clinic=clinic).count()}


@task(takes_context=True)
def refresh_summaries(context: TaskContext, clinic_id: int) -> dict[str, Any]:
    """The clinic's stored dashboard reports, lists and payer-grade measures brought up to date
    (``outcomes.summaries.refresh_clinic``: cheap when nothing changed since the last run), so a
    page reads them and never computes them."""
    with clinic_job(context, clinic_id) as (actor, clinic):
        return refresh_clinic(actor, clinic)
