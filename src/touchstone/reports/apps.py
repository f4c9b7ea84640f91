from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "touchstone.reports"
    label = "reports"
