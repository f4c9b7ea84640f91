from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "touchstone.care"
    label = "care"
