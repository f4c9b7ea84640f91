"""Background tasks of the measures app (run by the worker, docs/jobs.md)."""

from __future__ import annotations

from django_tasks import TaskContext, task

from touchstone.accounts.jobs import clinic_job
from touchstone.measures.escalation import do_escalate_alerts


@task(takes_context=True)
def escalate_alerts(context: TaskContext, clinic_id: int) -> dict[str, int]:
    """Notify and escalate the clinic's unacknowledged risk alerts that are due."""
    with clinic_job(context, clinic_id) as (actor, clinic):
        return do_escalate_alerts(actor, clinic)
