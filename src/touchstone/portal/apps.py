from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "touchstone.portal"
    label = "portal"
