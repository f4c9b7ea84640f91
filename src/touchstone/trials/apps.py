from django.apps import AppConfig


class TrialsConfig(AppConfig):
    name = "touchstone.trials"
    label = "trials"
    verbose_name = "Controlled studies"

    def ready(self) -> None:
        from touchstone.clients.demo import DEMO_EXTENSIONS
        from touchstone.trials.demo import add_controlled_study

        if add_controlled_study not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(add_controlled_study)
