from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from touchstone.accounts.actions import do_create_token


class Command(BaseCommand):
    help = "Print a new API token for USERNAME (for integrations and scripts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {username!r}", returncode=2)
        member = getattr(user, "staff_member", None)
        if member is None or not member.is_active:
            raise CommandError(f"{username!r} is not an active staff member", returncode=2)
        _, secret = do_create_token(user, name, request=None)
        self.stdout.write(secret)
