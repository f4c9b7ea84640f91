"""The worker: the periodic schedule, retries, the job's actor and log lines."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tasks_db.models import DBTaskResult

from touchstone.accounts.models import Clinic
from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast
from touchstone.jobs import runner
from touchstone.outcomes import actions as outcomes_actions
from touchstone.outcomes.models import TrajectoryFit
from touchstone.outcomes.tests.factories import build_outcomes

# Tomorrow noon: after the outcomes the tests build at the real "now", so the refit sees them.
NOON = dt.datetime.combine(
    dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC
)


def _refits(status: str | None = None) -> Any:
    results = DBTaskResult.objects.filter(task_path__endswith="refit_trajectories")
    return results.filter(status=status) if status else results


def _once() -> str:
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    return out.getvalue()


def test_it_runs_the_nightly_refit_for_every_clinic_once_a_day(cast: Cast):
    build_outcomes(cast.harbour, [cast.tess], 40, seed=5)
    with time_machine.travel(NOON, tick=False) as traveller:
        assert "task(s) run" in _once()
        assert _refits("SUCCESSFUL").count() == 2  # harbour and northside
        assert TrajectoryFit.objects.filter(clinic=cast.harbour).exists()
        assert not TrajectoryFit.objects.filter(clinic=cast.northside).exists()  # no history
        traveller.shift(dt.timedelta(hours=23))
        _once()
        assert _refits().count() == 2
        traveller.shift(dt.timedelta(hours=1))
        _once()
        assert _refits("SUCCESSFUL").count() == 4


def test_it_acts_as_the_job_and_logs_the_task_id(cast: Cast, log_events: Any):
    build_outcomes(cast.harbour, [cast.tess], 40, seed=5)
    with time_machine.travel(NOON, tick=False):
        _once()
    fits = AuditEvent.objects.filter(object_type="outcomes.trajectoryfit", clinic=cast.harbour)
    assert fits.exists() and {e.channel for e in fits} == {"job"}
    assert {e.actor_id for e in fits} == {None}
    result = _refits().get(args_kwargs__kwargs__clinic_id=cast.harbour.pk)
    finished = [
        e
        for e in log_events("job_finished")
        if e.get("clinic_id") == cast.harbour.pk and e["job"] == "refit_trajectories"
    ]
    assert finished and finished[0]["job_id"] == str(result.id)
    fitted = [e for e in log_events("trajectory_fitted") if e.get("job_id") == str(result.id)]
    assert fitted, "lines logged inside the task carry its job id"


def test_it_retries_a_failed_task_after_a_back_off_then_gives_up(cast: Cast, monkeypatch: Any):
    calls: list[int] = []

    def broken(actor: Any, clinic: Any) -> None:
        calls.append(clinic.pk)
        raise RuntimeError("the database went away")

    monkeypatch.setattr("touchstone.outcomes.tasks.do_refresh_trajectories", broken)
    with time_machine.travel(NOON, tick=False) as traveller:
        _once()
        harbour = _refits().filter(args_kwargs__kwargs__clinic_id=cast.harbour.pk)
        assert harbour.filter(status="FAILED").count() == 1
        retry = harbour.get(status="READY")
        assert retry.run_after == NOON + dt.timedelta(minutes=1)
        _once()  # not due yet
        assert harbour.filter(status="FAILED").count() == 1
        for minutes, failed in ((1, 2), (4, 3), (16, 4)):
            traveller.shift(dt.timedelta(minutes=minutes))
            _once()
            assert harbour.filter(status="FAILED").count() == failed
        assert not harbour.filter(status="READY").exists()  # 1 + 3 retries, then it gives up
        traveller.shift(dt.timedelta(hours=1))
        _once()
        assert harbour.filter(status="FAILED").count() == 4
    assert calls.count(cast.harbour.pk) == 4


def test_a_success_resets_the_retry_count(cast: Cast, monkeypatch: Any):
    outcome = {"fail": True}

    def flaky(actor: Any, clinic: Any) -> None:
        if outcome["fail"]:
            raise RuntimeError("flaky")

    monkeypatch.setattr("touchstone.outcomes.tasks.do_refresh_trajectories", flaky)
    with time_machine.travel(NOON, tick=False) as traveller:
        _once()
        outcome["fail"] = False
        traveller.shift(dt.timedelta(minutes=1))
        _once()
        harbour = _refits().filter(args_kwargs__kwargs__clinic_id=cast.harbour.pk)
        latest = harbour.order_by("-started_at").first()
        assert latest is not None and latest.status == "SUCCESSFUL"
        assert runner.consecutive_failures(latest) == 0


def test_two_workers_enqueue_a_periodic_job_once(cast: Cast):
    with time_machine.travel(NOON, tick=False):
        first = runner.enqueue_due()
        second = runner.enqueue_due()
    assert f"refit_trajectories:{cast.harbour.pk}" in first
    assert second == []
    assert _refits().count() == 2


def test_the_dashboard_no_longer_writes_on_get(cast: Cast):
    build_outcomes(cast.harbour, [cast.tess], 40, seed=5)
    before = AuditEvent.objects.filter(object_type="outcomes.trajectoryfit").count()
    assert cast.browser_for(cast.bob).get("/outcomes/").status_code == 200
    assert not TrajectoryFit.objects.exists()
    assert AuditEvent.objects.filter(object_type="outcomes.trajectoryfit").count() == before


def test_it_refuses_a_bad_interval(db: Any):
    with pytest.raises(CommandError, match="positive"):
        call_command("worker", "--interval", "0")


def test_it_prunes_old_finished_results(cast: Cast):
    with time_machine.travel(NOON, tick=False) as traveller:
        _once()
        assert _refits().count() == 2
        traveller.shift(dt.timedelta(days=31))
        _once()  # the prune runs after the day's refits were enqueued
    assert _refits().count() == 2  # the old two pruned, the new two kept


def test_outcomes_actions_are_what_the_task_calls():
    from touchstone.outcomes import tasks

    assert tasks.do_refresh_trajectories is outcomes_actions.do_refresh_trajectories


def test_the_worker_keeps_the_connection_of_a_caller_inside_a_transaction(cast: Cast):
    """Inside the test's transaction the worker leaves the connection alone: before the fix
    ``close_old_connections`` closed it and, on PostgreSQL, every later query of the test
    failed with "the connection is closed" (an in-memory SQLite database is never closed, so
    there the assertion on ``connection.connection`` is what shows it)."""
    assert runner.caller_holds_a_transaction()
    raw = connection.connection
    with time_machine.travel(NOON, tick=False):
        _once()
        _once()
    assert connection.connection is raw
    assert _refits("SUCCESSFUL").count() == 2  # queries still work after two runs


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_worker_closes_stale_connections_between_jobs(
    monkeypatch: Any,
):
    """A long-running worker must survive a database restart and ``CONN_MAX_AGE``: it closes
    stale connections before each turn and after each job, as Django does between requests."""
    Clinic.objects.create(name="Lakeside")
    calls: list[bool] = []
    monkeypatch.setattr(
        runner, "close_old_connections", lambda: calls.append(connection.in_atomic_block)
    )
    assert not runner.caller_holds_a_transaction()
    with time_machine.travel(NOON, tick=False):
        ran = runner.run(once=True)
    assert ran >= 2  # the periodic jobs of one clinic and the installation's prune
    assert len(calls) >= ran + 2  # before the turn, before each claim, and after the last
    assert calls and not any(calls)


def test_it_refreshes_sqlite_planner_statistics_without_the_command(cast: Cast):
    """An installation that runs the worker, not cron's ``refresh-summaries``, still gets
    SQLite's planner statistics (lib/planner.py): once an hour, for the installation."""
    with time_machine.travel(NOON, tick=False) as traveller:
        _once()
        runs = DBTaskResult.objects.filter(task_path__endswith="refresh_planner")
        assert [r.status for r in runs] == ["SUCCESSFUL"]
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM sqlite_stat1")
                assert cursor.fetchone()[0] > 0
        traveller.shift(dt.timedelta(minutes=59))
        _once()
        assert runs.count() == 1
