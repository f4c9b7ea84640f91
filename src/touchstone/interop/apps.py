from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "touchstone.interop"
    label = "interop"
