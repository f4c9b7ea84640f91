from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "touchstone.portal"
    label = "portal"

    def ready(self) -> None:
        from touchstone.portal import receivers  # noqa: F401  (connects the receivers)
