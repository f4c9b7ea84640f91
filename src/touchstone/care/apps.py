from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "touchstone.care"
    label = "care"

    def ready(self) -> None:
        from touchstone.care.demo import add_care
        from touchstone.clients.demo import DEMO_EXTENSIONS

        if add_care not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(add_care)
