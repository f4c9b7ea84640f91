from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "touchstone.measures"
    label = "measures"

    def ready(self) -> None:
        from touchstone.clients.demo import DEMO_EXTENSIONS
        from touchstone.measures.demo import build_demo_measures

        if build_demo_measures not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(build_demo_measures)
