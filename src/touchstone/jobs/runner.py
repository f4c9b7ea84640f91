"""The worker: django-tasks' database worker, plus the periodic schedule and retries.

``run(once=True)`` enqueues the periodic jobs that are due, then runs every task that is
ready (including those the tasks enqueue on the way) and returns; ``run(once=False)`` does the
same every ``interval`` seconds until SIGINT/SIGTERM (a running task is finished first).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker
from django_tasks_db.models import DBTaskResult

from touchstone.accounts.models import Clinic
from touchstone.jobs.models import PeriodicRun
from touchstone.jobs.schedule import SCHEDULE, Periodic
from touchstone.logs import get_logger

#: A failed task runs again up to this many times (so at most 1 + RETRIES attempts in a row),
#: after RETRY_DELAY × 4^(n-1): 1, 4 and 16 minutes. Tasks are idempotent, so a retry never
#: sends twice what the failed attempt already sent.
RETRIES = 3
RETRY_DELAY = dt.timedelta(minutes=1)

log = get_logger("touchstone.jobs")


def enqueue_due(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every periodic job whose interval has passed; the names (``name:clinic``)."""
    now = now or timezone.now()
    clinics: list[Clinic | None] = list(Clinic.objects.order_by("pk"))
    enqueued = []
    for periodic in SCHEDULE:
        for clinic in clinics if periodic.per_clinic else [None]:
            if _claim(periodic, clinic, now):
                kwargs = {"clinic_id": clinic.pk} if clinic is not None else {}
                periodic.task.enqueue(**kwargs)
                enqueued.append(f"{periodic.name}:{clinic.pk if clinic else '-'}")
    return enqueued


def _claim(periodic: Periodic, clinic: Clinic | None, now: dt.datetime) -> bool:
    """Whether this worker should enqueue ``periodic`` for ``clinic`` now, stamping it if so.
    The conditional update lets only one of several workers win the same turn."""
    run = PeriodicRun.objects.filter(name=periodic.name, clinic=clinic).first()
    if run is None:
        with transaction.atomic():
            _, created = PeriodicRun.objects.get_or_create(
                name=periodic.name, clinic=clinic, defaults={"last_enqueued_at": now}
            )
        return created
    if now - run.last_enqueued_at < periodic.every:
        return False
    return bool(
        PeriodicRun.objects.filter(pk=run.pk, last_enqueued_at=run.last_enqueued_at).update(
            last_enqueued_at=now
        )
    )


def consecutive_failures(result: DBTaskResult) -> int:
    """How many runs of the same task with the same arguments failed in a row, up to and
    including ``result`` (runs in the order they started)."""
    earlier = DBTaskResult.objects.filter(
        task_path=result.task_path,
        args_kwargs=result.args_kwargs,
        started_at__lte=result.started_at,
    ).order_by("-started_at")[: RETRIES + 2]
    count = 0
    for other in earlier:
        if other.args_kwargs != result.args_kwargs:
            continue
        if other.status != TaskResultStatus.FAILED:
            break
        count += 1
    return count


def schedule_retry(result: DBTaskResult) -> DBTaskResult | None:
    """Enqueue the failed ``result``'s task again after its back-off, unless it has failed
    ``1 + RETRIES`` times in a row; the new result, or None."""
    failures = consecutive_failures(result)
    if failures > RETRIES:
        log.error("job_gave_up", task=result.task_name, failures=failures)
        return None
    delay = RETRY_DELAY * 4 ** (failures - 1)
    args = result.args_kwargs
    retried = result.task.using(run_after=timezone.now() + delay).enqueue(
        *args["args"], **args["kwargs"]
    )
    log.warning("job_retry", task=result.task_name, failures=failures, delay_s=delay.seconds)
    return DBTaskResult.objects.get(pk=retried.id)


class Worker(DatabaseWorker):
    """django-tasks-db's worker, with a retry after each failure."""

    def run_task(self, db_task_result: DBTaskResult) -> None:
        super().run_task(db_task_result)
        if db_task_result.status == TaskResultStatus.FAILED:
            schedule_retry(db_task_result)


def make_worker(interval: float = 1.0) -> Worker:
    return Worker(
        queue_names=["*"],
        interval=interval,
        batch=True,  # each call of run() drains what is ready, then returns
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )


def run(*, once: bool, interval: float = 5.0, worker: Any = None) -> int:
    """Run the worker; in ``once`` mode returns the number of tasks run."""
    worker = worker or make_worker(interval)
    if not once:
        worker.configure_signals()
    ran = 0
    while True:
        enqueue_due()
        before = worker._run_tasks
        worker.run()
        ran += worker._run_tasks - before
        if once or not worker.running:
            return ran
        time.sleep(interval)
