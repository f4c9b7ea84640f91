from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "touchstone.audit"
    label = "audit"
