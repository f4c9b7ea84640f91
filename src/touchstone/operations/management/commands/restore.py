"""``touchstone restore FILE``: replace the database with a backup, once the backup verifies."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection, connections

from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.lib.db_roles import owner_settings
from touchstone.operations.backup import BackupError, engine_for, restore_backup, verify_backup


class Command(BaseCommand):
    help = (
        "Restore the database from a backup made by `touchstone backup`. The backup is checked "
        "first (checksums, then every table's rows in a scratch copy); a backup that does not "
        "verify is refused and the current database is left as it is. Stop the app first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--verify-only", action="store_true", help="Check the backup; change nothing."
        )
        parser.add_argument(
            "--yes", action="store_true", help="Replace the current database without asking."
        )

    def handle(self, *args: Any, file: Path, verify_only: bool, yes: bool, **options: Any) -> None:
        try:
            # Replacing tables is the owner's (DATABASE_OWNER_URL), not the app's role.
            engine = engine_for(owner_settings(connection.settings_dict))
            if verify_only:
                manifest = verify_backup(file, engine)
                self.stdout.write(f"{file}: verifies ({self._describe(manifest)}).")
                return
            self._confirm(yes)
            connections.close_all()  # no session of ours may hold a lock on a table
            manifest = restore_backup(file, engine)
        except BackupError as error:
            raise CommandError(f"{file}: {error}", returncode=2) from None
        try:
            record(
                Actor.system("cli"),
                Action.RESTORE,
                object_type="operations.backup",
                detail=f"database restored from a backup made {manifest['created_at']}",
            )
        except DatabaseError:
            self.stderr.write("(No audit event: the restored database needs `touchstone migrate`.)")
        self.stdout.write(
            f"Restored {self._describe(manifest)}. If this Touchstone is newer than the backup, "
            "run `touchstone migrate` before starting the app."
        )

    @staticmethod
    def _describe(manifest: dict[str, Any]) -> str:
        tables = manifest["tables"]
        rows = sum(t["rows"] for t in tables.values())
        made = manifest["created_at"]
        return f"{manifest['engine']} backup made {made}, {len(tables)} tables, {rows:,} rows"

    @staticmethod
    def _confirm(yes: bool) -> None:
        if yes:
            return
        if not sys.stdin.isatty():
            raise CommandError(
                "restore replaces the current database: add --yes to confirm", returncode=2
            )
        answer = input("This replaces the current database with the backup. Type 'restore': ")
        if answer.strip() != "restore":
            raise CommandError("nothing restored", returncode=2)
