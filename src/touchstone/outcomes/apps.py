from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "touchstone.outcomes"
    label = "outcomes"

    def ready(self) -> None:
        from touchstone.clients.demo import DEMO_EXTENSIONS
        from touchstone.outcomes import receivers  # noqa: F401  (connects the receivers)
        from touchstone.outcomes.demo import fit_demo_trajectories

        if fit_demo_trajectories not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(fit_demo_trajectories)
