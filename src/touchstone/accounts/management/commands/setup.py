"""``touchstone setup``: a new clinic and its first owner, on a fresh installation.

Non-interactive: ``touchstone setup --clinic NAME --owner USERNAME --email EMAIL
--timezone Area/City`` with the password in ``TOUCHSTONE_OWNER_PASSWORD``. Anything missing is
asked for when run in a terminal. Bad input exits 2 with one line per problem.
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from touchstone.accounts.actions import do_set_up_clinic

PASSWORD_VARIABLE = "TOUCHSTONE_OWNER_PASSWORD"  # noqa: S105  (a variable's name)

QUESTIONS = [
    ("clinic", "Clinic name"),
    ("owner", "Owner's username"),
    ("email", "Owner's e-mail"),
    ("timezone", "Clinic's time zone (IANA name, e.g. America/Chicago)"),
]


def _bad(problems: list[str]) -> CommandError:
    return CommandError("\n".join(problems), returncode=2)


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {m}" for field, ms in error.message_dict.items() for m in ms]
    return list(error.messages)


class Command(BaseCommand):
    help = "Create a clinic and its first owner (once per clinic)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", help="The clinic's name, as shown on every page.")
        parser.add_argument("--owner", help="The owner's username.")
        parser.add_argument("--email", help="The owner's e-mail (password resets go there).")
        parser.add_argument("--timezone", help="IANA time zone, e.g. America/Chicago.")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--no-input",
            action="store_true",
            help="Never prompt: fail when an option or the password is missing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interactive = not options["no_input"] and sys.stdin.isatty()
        values = {key: (options[key] or "").strip() for key, _ in QUESTIONS}
        for key, question in QUESTIONS:
            if not values[key] and interactive:
                default = settings.TIME_ZONE if key == "timezone" else ""
                answer = input(f"{question}{f' [{default}]' if default else ''}: ").strip()
                values[key] = answer or default
        missing = [f"--{key} is required" for key, _ in QUESTIONS if not values[key]]
        if missing:
            raise _bad(missing)
        password = self._password(values, options, interactive)
        try:
            member = do_set_up_clinic(
                name=values["clinic"],
                time_zone=values["timezone"],
                username=values["owner"],
                email=values["email"],
                password=password,
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        except ValidationError as error:
            raise _bad(_messages(error)) from None
        clinic = member.clinic
        self.stdout.write(
            f"Set up {clinic.name} (slug {clinic.slug}, time zone {clinic.time_zone}) with "
            f"{member.user.username} <{member.user.email}> as its owner.\n\n"
            "Next steps:\n"
            f"1. Sign in as {member.user.username} at /accounts/login/. This clinic requires "
            "two-factor sign-in: at the first sign-in you will enrol an authenticator app "
            "(scan the QR code, type one code) before anything else.\n"
            "2. Under Clinic settings, check the time zone and fill in the clinic's details "
            "(address, NPI, crisis line); under its Scheduling settings, add your services and "
            "the staff's working hours.\n"
            "3. Under Staff, invite a licensed clinician before sending questionnaires: risk "
            "alerts go to clinicians. The owner may not handle them; until a clinician joins, "
            "alert notices come to you and no alert can be closed. Then invite the rest of "
            "your staff."
        )

    def _password(self, values: dict[str, str], options: dict[str, Any], interactive: bool) -> str:
        password = os.environ.get(PASSWORD_VARIABLE)
        if password is None:
            if not interactive:
                raise _bad([f"set the owner's password in {PASSWORD_VARIABLE}"])
            password = getpass.getpass("Owner's password: ")
            if getpass.getpass("The same password again: ") != password:
                raise _bad(["the two passwords differ"])
        user = get_user_model()(
            username=values["owner"],
            email=values["email"],
            first_name=options["first_name"],
            last_name=options["last_name"],
        )
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise _bad([f"password: {m}" for m in error.messages]) from None
        return password
