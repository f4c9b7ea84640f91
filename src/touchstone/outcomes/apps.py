from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "touchstone.outcomes"
    label = "outcomes"
