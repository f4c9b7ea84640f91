from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "touchstone.clients"
    label = "clients"
