from django.apps import AppConfig


class MessagingConfig(AppConfig):
    """Messages to clients and staff: e-mail and SMS, each recorded, sent by the worker."""

    name = "touchstone.messaging"
    label = "messaging"
