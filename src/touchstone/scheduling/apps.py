from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "touchstone.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        # Django's start-up order: receivers are connected once every app is loaded.
        from touchstone.care.signals import visit_saved
        from touchstone.scheduling.receivers import complete_appointment

        visit_saved.connect(complete_appointment, dispatch_uid="scheduling.complete_appointment")

        from touchstone.clients.demo import DEMO_EXTENSIONS
        from touchstone.scheduling.demo import build_demo_calendar

        if build_demo_calendar not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(build_demo_calendar)
