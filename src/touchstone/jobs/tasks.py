"""The runner's own housekeeping tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_tasks import TaskContext, task
from django_tasks_db.models import DBTaskResult

from touchstone.accounts.jobs import system_job
from touchstone.lib.planner import refresh_planner_statistics
from touchstone.operations import cleanup

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


@task(takes_context=True)
def run_cleanup(context: TaskContext) -> dict[str, Any]:
    """Expired sessions, unconfirmed wearable uploads and stale sign-in failures deleted
    (``operations.cleanup``, the same steps as ``touchstone cleanup``); counts only."""
    with system_job(context):
        return dict(cleanup.run_cleanup())


@task(takes_context=True)
def refresh_planner(context: TaskContext) -> dict[str, Any]:
    """SQLite's query-planner statistics refreshed (``lib.planner``): without them a client's
    rows may be read through the clinic's index, every row of the clinic. Was only done by
    ``touchstone refresh-summaries``, which an installation running the worker need not run.
    Nothing on PostgreSQL (autovacuum)."""
    with system_job(context):
        return {"analyzed": refresh_planner_statistics()}
