from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "touchstone.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Connects the sign-in receiver that starts the idle clock (IdleLogoutMiddleware).
        from touchstone.accounts import middleware  # noqa: F401
