from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "touchstone.audit"
    label = "audit"

    def ready(self) -> None:
        from touchstone.audit import signals  # noqa: F401  (connects the receivers)
