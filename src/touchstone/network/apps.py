from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "touchstone.network"
    label = "network"
