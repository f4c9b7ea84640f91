from typing import Any

from django.apps import AppConfig


def fit_demo_trajectories(context: Any) -> None:
    """The demo clinic starts with its expected-trajectory models fitted (as the nightly
    ``touchstone fit-trajectories`` would), so the home page's "not on track" list is live."""
    from touchstone.outcomes.trajectories import stored_models

    stored_models(context.clinic, refresh=True)


class OutcomesConfig(AppConfig):
    name = "touchstone.outcomes"
    label = "outcomes"

    def ready(self) -> None:
        from touchstone.clients.demo import DEMO_EXTENSIONS

        if fit_demo_trajectories not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(fit_demo_trajectories)
