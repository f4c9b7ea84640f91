"""The worker's sweep of due messages (periodic, every minute; also enqueued at once after an
alert is raised)."""

from __future__ import annotations

from django_tasks import TaskContext, task

from touchstone.accounts.jobs import clinic_job
from touchstone.messaging.actions import do_send_due_messages
from touchstone.messaging.reminders import do_queue_due_reminders


@task(takes_context=True)
def send_due_messages(context: TaskContext, clinic_id: int) -> dict[str, int]:
    """Send the clinic's queued messages whose time has come; failures wait for their
    back-off."""
    with clinic_job(context, clinic_id) as (_actor, clinic):
        return do_send_due_messages(clinic)


@task(takes_context=True)
def queue_reminders(context: TaskContext, clinic_id: int) -> dict[str, int]:
    """Queue the appointment reminders due now, then have them sent."""
    with clinic_job(context, clinic_id) as (actor, clinic):
        queued = do_queue_due_reminders(actor, clinic)
        if queued:
            send_due_messages.enqueue(clinic_id=clinic_id)
        return {"queued": queued}
