from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "touchstone.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Django's start-up order: receivers are connected once every app is loaded.
        from touchstone.billing.demo import add_billing_data
        from touchstone.billing.receivers import charge_appointment
        from touchstone.clients.demo import DEMO_EXTENSIONS
        from touchstone.scheduling.signals import appointment_saved

        appointment_saved.connect(charge_appointment, dispatch_uid="billing.charge_appointment")
        if add_billing_data not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(add_billing_data)
