from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "touchstone.reports"
    label = "reports"

    def ready(self) -> None:
        from touchstone.clients.demo import DEMO_EXTENSIONS
        from touchstone.reports.demo import add_report_data

        if add_report_data not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(add_report_data)
