"""The jobs page: the owner sees their clinic's jobs, nobody else's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine

from touchstone.conftest import Cast
from touchstone.jobs import runner


def _ran(monkeypatch: Any) -> None:
    def broken(actor: Any, clinic: Any) -> None:
        raise RuntimeError("no")

    monkeypatch.setattr("touchstone.outcomes.tasks.do_refresh_trajectories", broken)
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC), tick=False):
        runner.run(once=True)


def test_it_shows_the_owner_the_clinics_runs_and_schedule(cast: Cast, monkeypatch: Any):
    _ran(monkeypatch)
    html = cast.browser_for(cast.alice).get("/jobs/").content.decode()
    assert "refit_trajectories" in html
    assert "builtins.RuntimeError" in html  # the error's type, never its text
    assert "prune_task_results" not in html  # the installation's jobs are not a clinic's
    failed = cast.browser_for(cast.alice).get("/jobs/?status=FAILED").content.decode()
    assert failed.count("builtins.RuntimeError") == 1
    waiting = cast.browser_for(cast.alice).get("/jobs/?status=READY").content.decode()
    assert "builtins.RuntimeError" not in waiting and "refit_trajectories" in waiting


def test_it_shows_no_other_clinics_runs(cast: Cast, monkeypatch: Any):
    _ran(monkeypatch)
    html = cast.browser_for(cast.charlie).get("/jobs/?status=FAILED").content.decode()
    assert html.count("builtins.RuntimeError") == 1  # northside's own, not harbour's


def test_it_is_the_owners_page(cast: Cast):
    for member in (cast.bob, cast.tess, cast.fiona, cast.rita):
        assert cast.browser_for(member).get("/jobs/").status_code == 403
