"""The demo clinic's outcomes: its expected-trajectory models, fitted as the nightly
``touchstone refresh-summaries`` would, and its summaries (the home page's lists and the
dashboard's reports: the demo's rows are bulk-inserted, which sends no signal)."""

from __future__ import annotations

from typing import Any


def fit_demo_trajectories(context: Any) -> None:
    if context.last:  # once, over the whole clinic, after its last batch
        from touchstone.outcomes.summaries import refresh_clinic  # pandas/scipy: when used

        refresh_clinic(context.actor, context.clinic, force=True)
