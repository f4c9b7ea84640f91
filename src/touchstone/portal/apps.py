from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "touchstone.portal"
    label = "portal"

    def ready(self) -> None:
        from touchstone.messaging.actions import register_send_check
        from touchstone.messaging.reminders import register_reminder_source
        from touchstone.portal import receivers  # noqa: F401  (connects the receivers)
        from touchstone.portal.outbox import dead_link_messages
        from touchstone.portal.reminders import SOURCE, void_outdated_reminders
        from touchstone.scheduling.signals import appointment_saved

        register_reminder_source(SOURCE)
        register_send_check(dead_link_messages)
        appointment_saved.connect(void_outdated_reminders, dispatch_uid="portal.void_reminders")
