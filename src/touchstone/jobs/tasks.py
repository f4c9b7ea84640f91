"""The runner's own housekeeping task."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_tasks import TaskContext, task
from django_tasks_db.models import DBTaskResult

from touchstone.accounts.jobs import system_job

#: Finished task results are kept this long for the jobs page, then pruned.
RESULT_RETENTION = dt.timedelta(days=30)


@task(takes_context=True)
def prune_task_results(context: TaskContext) -> dict[str, Any]:
    """Delete finished task results older than ``RESULT_RETENTION`` (no client data in them
    but ids; the queue must not grow for ever)."""
    with system_job(context):
        cutoff = timezone.now() - RESULT_RETENTION
        deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
        return {"deleted": deleted}
