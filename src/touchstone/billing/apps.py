from typing import Any

from django.apps import AppConfig


def add_billing_data(context: Any) -> None:
    """The demo's money (billing/demo.py), imported when the demo runs, not at Django's
    start-up (tests/test_startup.py). Registered after the calendar's extension (scheduling
    comes before billing in INSTALLED_APPS): it charges the calendar's appointments."""
    from touchstone.billing.demo import add_billing_data as build

    build(context)


class BillingConfig(AppConfig):
    name = "touchstone.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Django's start-up order: receivers are connected once every app is loaded.
        from touchstone.audit.privileges import APPEND_ONLY_TABLES
        from touchstone.billing.models import LEDGER_TABLES
        from touchstone.billing.receivers import charge_appointment, refresh_access_report
        from touchstone.billing.selectors import current_fees
        from touchstone.clients.demo import DEMO_EXTENSIONS
        from touchstone.outcomes.signals import summaries_refreshed
        from touchstone.scheduling.fees import register_fee_lookup
        from touchstone.scheduling.signals import appointment_saved

        appointment_saved.connect(charge_appointment, dispatch_uid="billing.charge_appointment")
        summaries_refreshed.connect(
            refresh_access_report, dispatch_uid="billing.refresh_access_report"
        )
        APPEND_ONLY_TABLES.update(LEDGER_TABLES)
        register_fee_lookup(current_fees)
        if add_billing_data not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(add_billing_data)
