from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "touchstone.claims"
    label = "claims"
    verbose_name = "Insurance claims"
