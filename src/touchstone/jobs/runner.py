"""The worker: django-tasks' database worker, plus the periodic schedule and retries.

``run(once=True)`` enqueues the periodic jobs that are due, then runs every task that is
ready (including those the tasks enqueue on the way) and returns; ``run(once=False)`` does the
same every ``interval`` seconds until SIGINT/SIGTERM (a running task is finished first).
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import OperationalError, close_old_connections, connections, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

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


def caller_holds_a_transaction() -> bool:
    """Whether code around the worker holds a transaction on one of its connections: a test
    (pytest-django wraps each test in one), or ``call_command("worker", "--once")`` inside an
    ``atomic`` block."""
    return any(conn.in_atomic_block for conn in connections.all(initialized_only=True))


def close_stale_connections() -> None:
    """Between two jobs, close the connections that broke or outlived ``CONN_MAX_AGE``, as
    Django does between two requests: a worker runs for weeks and must survive a database
    restart. Not while the caller holds a transaction: ``close_old_connections`` treats a
    connection whose autocommit differs from the setting as broken and closes it, which ends
    the caller's transaction -- on PostgreSQL the connection is then gone for the rest of the
    caller's work ("the connection is closed"), while an in-memory SQLite database is never
    closed. Django's test client skips it for the same reason (it disconnects
    ``close_old_connections`` from ``request_started``/``request_finished``)."""
    if not caller_holds_a_transaction():
        close_old_connections()


class Worker(DatabaseWorker):
    """django-tasks-db's worker (its task claim, ``run_task`` and signal handling), with a
    retry after each failure and our own drain loop: the library's ``run()`` calls
    ``close_old_connections()`` unconditionally, which breaks a caller's transaction
    (``close_stale_connections``)."""

    def run_task(self, db_task_result: DBTaskResult) -> None:
        super().run_task(db_task_result)
        if db_task_result.status == TaskResultStatus.FAILED:
            schedule_retry(db_task_result)

    def claim_next(self) -> DBTaskResult | None:
        """Claim the next ready task as the library's loop does (row lock, skipping rows other
        workers hold; an exclusive transaction on SQLite); None when nothing is ready. A
        database another worker holds locked is tried again after a short wait."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        while True:
            try:
                with exclusive_transaction(tasks.db):
                    task_result = tasks.get_locked()
                    if task_result is not None:
                        task_result.claim(self.worker_id)
                return task_result
            except OperationalError as error:
                if not is_locked_database_exception(error):
                    raise
                time.sleep(0.1)

    def drain(self) -> int:
        """Run every task that is ready now, including those the tasks enqueue on the way,
        closing stale connections between two; the number run. Stops early after SIGINT or
        SIGTERM (the running task is finished first)."""
        ran = 0
        while self.running:
            close_stale_connections()
            task_result = self.claim_next()
            if task_result is None:
                break
            self.run_task(task_result)
            ran += 1
        close_stale_connections()
        return ran


def make_worker(interval: float = 1.0) -> Worker:
    return Worker(
        queue_names=["*"],
        interval=interval,
        batch=True,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )


def run(*, once: bool, interval: float = 5.0, worker: Worker | None = None) -> int:
    """Run the worker; in ``once`` mode returns the number of tasks run."""
    worker = worker or make_worker(interval)
    if not once:
        worker.configure_signals()
    ran = 0
    while True:
        close_stale_connections()
        enqueue_due()
        ran += worker.drain()
        if once or not worker.running:
            return ran
        time.sleep(interval)
