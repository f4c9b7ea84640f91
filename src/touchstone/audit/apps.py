from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "touchstone.audit"
    label = "audit"

    def ready(self) -> None:
        from touchstone.audit import signals  # noqa: F401  (connects the receivers)
        from touchstone.audit.privileges import grant_after_migrate

        post_migrate.connect(grant_after_migrate, sender=self, dispatch_uid="audit_grants")
