"""The periodic schedule: which task the worker enqueues how often, per clinic or once for
the installation (docs/jobs.md).

django-tasks has no cron. The worker, at every turn of its loop (and once in ``--once``),
enqueues each job below whose interval has passed since ``PeriodicRun.last_enqueued_at``;
the job itself is a sweep ("send whatever is due now"), idempotent by the unique keys of what
it writes, so a late, doubled or retried run sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from touchstone.jobs import tasks as runner_tasks
from touchstone.measures import tasks as measures_tasks
from touchstone.messaging import tasks as messaging_tasks
from touchstone.outcomes import tasks as outcomes_tasks
from touchstone.portal import tasks as portal_tasks


@dataclass(frozen=True)
class Periodic:
    """``task`` (a django-tasks ``Task``) enqueued every ``every``; ``per_clinic`` tasks get
    the clinic's id as ``clinic_id``, the others no argument."""

    name: str
    task: Any
    every: dt.timedelta
    per_clinic: bool = True


SCHEDULE: tuple[Periodic, ...] = (
    # Risk alerts nobody acknowledged within the clinic's escalation time (docs/messaging.md).
    Periodic("escalate_alerts", measures_tasks.escalate_alerts, dt.timedelta(minutes=1)),
    # Appointment reminders at the clinic's lead times (messaging/reminders.py).
    Periodic("queue_reminders", messaging_tasks.queue_reminders, dt.timedelta(minutes=5)),
    # The measurement plans' due questionnaires and sleep diaries as private links, before a
    # visit or on the plan's schedule; one reminder; expiry (portal/delivery.py).
    Periodic("deliver_measurements", portal_tasks.deliver_measurements, dt.timedelta(minutes=5)),
    # Queued messages whose time has come (quiet hours over, retry back-off passed).
    Periodic("send_due_messages", messaging_tasks.send_due_messages, dt.timedelta(minutes=1)),
    # The nightly refit of the expected-recovery models (no longer inside a dashboard GET).
    Periodic("refit_trajectories", outcomes_tasks.refit_trajectories, dt.timedelta(hours=24)),
    # Finished task results older than the retention period leave the jobs page.
    Periodic("prune_task_results", runner_tasks.prune_task_results, dt.timedelta(hours=24), False),
    # The dashboard's stored reports and lists (outcomes/summaries.py), within minutes of a
    # change; the pages only read them.
    Periodic("refresh_summaries", outcomes_tasks.refresh_summaries, dt.timedelta(minutes=5)),
    # SQLite's planner statistics (a full ANALYZE, 0.5 s at 10,000 clients; lib/planner.py).
    Periodic("refresh_planner", runner_tasks.refresh_planner, dt.timedelta(hours=1), False),
    # Expired sessions, unconfirmed wearable uploads, stale sign-in failures (operations/).
    Periodic("cleanup", runner_tasks.run_cleanup, dt.timedelta(hours=1), False),
)
