"""The frame of every background task that works for one clinic (the job runner's twin of
``accounts.commands.TouchstoneCommand``).

A task is a module-level function in its app's ``tasks.py``, decorated with django-tasks'
``@task(takes_context=True)`` and taking the clinic's id as the keyword ``clinic_id``
(the jobs page finds a clinic's tasks by it)::

    @task(takes_context=True)
    def send_messages(context: TaskContext, clinic_id: int) -> dict[str, int]:
        with clinic_job(context, clinic_id) as (actor, clinic):
            return do_send_due_messages(actor, clinic)

Inside the frame the task acts as ``Actor.system("job", clinic)`` (so the audit log says
"job"), works in the clinic's time zone, and every log line carries the task result's id as
``job_id`` and the clinic's id (``touchstone.logs.job``: ``job_started``, ``job_finished`` or
``job_failed`` with the exception's type only).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.audit.actor import Actor
from touchstone.logs import job


@contextmanager
def clinic_job(context: Any, clinic_id: int) -> Iterator[tuple[Actor, Clinic]]:
    """Run the body as the job of ``context`` (a django-tasks ``TaskContext``) for the clinic
    ``clinic_id``: yields the job's actor and the clinic."""
    clinic = Clinic.objects.get(pk=clinic_id)
    result = context.task_result
    timezone.activate(clinic.zone)
    try:
        with (
            structlog.contextvars.bound_contextvars(clinic_id=clinic.pk),
            job(result.task.name, job_id=str(result.id), attempt=context.attempt),
        ):
            yield Actor.system("job", clinic), clinic
    finally:
        timezone.deactivate()


@contextmanager
def system_job(context: Any) -> Iterator[Actor]:
    """The frame of a task that works for the installation, not one clinic (clean-ups)."""
    result = context.task_result
    with job(result.task.name, job_id=str(result.id), attempt=context.attempt):
        yield Actor.system("job")
