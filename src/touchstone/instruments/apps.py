from django.apps import AppConfig


class InstrumentsConfig(AppConfig):
    name = "touchstone.instruments"
    label = "instruments"
    verbose_name = "Questionnaire library"
