from django.apps import AppConfig


class TrialsConfig(AppConfig):
    name = "touchstone.trials"
    label = "trials"
    verbose_name = "Controlled studies"
