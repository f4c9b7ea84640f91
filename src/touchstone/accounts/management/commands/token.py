from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandParser

from touchstone.accounts.actions import do_create_token
from touchstone.accounts.commands import TouchstoneCommand, bad
from touchstone.audit.actor import Actor


class Command(TouchstoneCommand):
    help = "Print a new API token for USERNAME (for integrations and scripts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise bad(f"no active user named {username!r}")
        member = getattr(user, "staff_member", None)
        if member is None or not member.is_active:
            raise bad(f"{username!r} is not an active staff member")
        # The token is the member's own: the audit log names them, on the command line.
        _, secret = do_create_token(Actor.of_member(member, "cli"), name)
        self.stdout.write(secret)
