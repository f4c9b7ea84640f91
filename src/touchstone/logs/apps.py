from django.apps import AppConfig


class LogsConfig(AppConfig):
    """Operational logging: the request middleware and the sign-in receivers."""

    name = "touchstone.logs"
    label = "logs"

    def ready(self) -> None:
        from touchstone.logs import receivers  # noqa: F401  (connects the receivers)
