"""Background tasks of the portal (run by the worker, docs/jobs.md)."""

from __future__ import annotations

from django_tasks import TaskContext, task

from touchstone.accounts.jobs import clinic_job
from touchstone.messaging.tasks import send_due_messages
from touchstone.portal.delivery import do_deliver_measurements


@task(takes_context=True)
def deliver_measurements(context: TaskContext, clinic_id: int) -> dict[str, int]:
    """Send the questionnaires (and sleep diaries) the measurement plans make due as private
    links, remind once, expire (``portal.delivery``); then have the messages sent."""
    with clinic_job(context, clinic_id) as (actor, clinic):
        counts = do_deliver_measurements(actor, clinic)
        if counts["sent"] or counts["reminded"]:
            send_due_messages.enqueue(clinic_id=clinic_id)
        return counts
