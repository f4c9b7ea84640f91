"""``touchstone backup --out FILE``: a consistent backup, safe while the app is writing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.operations.backup import BackupError, engine_for, make_backup


def applied_migrations() -> dict[str, str]:
    """The newest applied migration of each app, for the manifest."""
    latest: dict[str, str] = {}
    for app, name in (
        MigrationRecorder(connection).migration_qs.order_by("id").values_list("app", "name")
    ):
        latest[app] = name
    return latest


class Command(BaseCommand):
    help = "Back up the database to FILE (a tar: the database and a manifest restore verifies)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, metavar="FILE")

    def handle(self, *args: Any, out: Path, **options: Any) -> None:
        try:
            engine = engine_for(connection.settings_dict)
            manifest = make_backup(engine, out, applied_migrations())
        except BackupError as error:
            raise CommandError(str(error), returncode=2) from None
        tables = manifest["tables"]
        rows = sum(t["rows"] for t in tables.values())
        record(
            Actor.system("cli"),
            Action.EXPORT,
            object_type="operations.backup",
            detail=f"backup, {len(tables)} tables, {rows} rows",
        )
        self.stdout.write(
            f"{out}: {manifest['engine']} backup of {len(tables)} tables, {rows:,} rows, "
            f"{out.stat().st_size:,} bytes (sha256 of the database "
            f"{manifest['payload']['sha256'][:16]}…)"
        )
