"""The demo clinic's outcomes: its expected-trajectory models, fitted as the nightly
``touchstone fit-trajectories`` would, so the home page's "not on track" list is live."""

from __future__ import annotations

from typing import Any

from touchstone.outcomes.actions import do_refresh_trajectories


def fit_demo_trajectories(context: Any) -> None:
    do_refresh_trajectories(context.actor, context.clinic)
