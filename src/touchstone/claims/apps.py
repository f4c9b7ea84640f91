from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "touchstone.claims"
    label = "claims"
    verbose_name = "Insurance claims"

    def ready(self) -> None:
        # After billing's (INSTALLED_APPS order): claims bill the demo's charged visits.
        from touchstone.claims.demo import add_claims_data
        from touchstone.clients.demo import DEMO_EXTENSIONS

        if add_claims_data not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(add_claims_data)
