from typing import Any

from django.apps import AppConfig


def add_controlled_study(context: Any) -> None:
    """The demo's controlled study (trials/demo.py), imported when the demo runs: the study's
    actions load the analysis (SciPy, statsmodels), which Django's start-up and the light
    commands must not pay for (tests/test_startup.py)."""
    from touchstone.trials.demo import add_controlled_study as build

    build(context)


class TrialsConfig(AppConfig):
    name = "touchstone.trials"
    label = "trials"
    verbose_name = "Controlled studies"

    def ready(self) -> None:
        from touchstone.clients.demo import DEMO_EXTENSIONS

        if add_controlled_study not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(add_controlled_study)
