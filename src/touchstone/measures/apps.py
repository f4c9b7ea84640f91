from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "touchstone.measures"
    label = "measures"
