from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running an installation: the health check's heartbeat, backup and restore."""

    name = "touchstone.operations"
    label = "operations"
