from django.apps import AppConfig


class RecordConfig(AppConfig):
    """Installed for its template tags (the record's tab bar); it has no models."""

    name = "touchstone.record"
    label = "record"
