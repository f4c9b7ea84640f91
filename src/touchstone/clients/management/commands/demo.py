from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from touchstone.accounts.models import Clinic
from touchstone.clients.demo import (
    DemoUnavailable,
    build_demo_clinic,
    demo_exists,
    demo_logins,
)
from touchstone.logs.commands import as_job


class Command(BaseCommand):
    help = "Build the synthetic demo clinic (deterministic for --seed; does nothing if present)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--clients",
            type=int,
            default=200,
            help="Clients in routine care (the demo's controlled study adds the 56 it recruits).",
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar or logins.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Only when the database has no clinic at all (used by make run).",
        )

    @as_job("demo")
    def handle(
        self, *args: Any, seed: int, clients: int, quiet: bool, if_empty: bool, **options: Any
    ) -> None:
        if settings.MODE == "production":
            raise CommandError(
                "touchstone demo refuses to run when TOUCHSTONE_MODE=production: every demo login "
                "has the same, published password. Create a real clinic with `touchstone setup`; "
                "show the demo with TOUCHSTONE_MODE=demo (make run).",
                returncode=2,
            )
        if if_empty and Clinic.objects.exists() and not demo_exists():
            self.stdout.write("The database already has a clinic; no demo added.")
            return
        try:
            context = build_demo_clinic(
                seed=seed, n_clients=clients, progress=not quiet and sys.stderr.isatty()
            )
        except DemoUnavailable as error:
            raise CommandError(str(error), returncode=2) from None
        if context is None:
            self.stdout.write("The demo clinic is already there; nothing changed.")
        else:
            self.stdout.write(f"Built {context.clinic.name} with {context.total} clients.")
        if not quiet:
            self.stdout.write("Demo logins (synthetic clinic only):")
            for login in demo_logins():
                self.stdout.write(
                    f"  {login['username']:<8} {login['role']:<22} password: {login['password']}"
                )
