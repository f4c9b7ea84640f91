"""``touchstone audit verify``: walk the audit log's hash chains (audit/chain.py) and report
the first broken link; exit status 1 if there is one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from touchstone.audit import chain
from touchstone.audit.models import AuditEvent


class Command(BaseCommand):
    help = "Check the audit log: `verify` walks every clinic's hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="report the first broken link, exit 1 if any")
        verify.add_argument("--clinic", type=int, help="one clinic's chain only (its id)")

    def handle(self, *args: Any, **options: Any) -> None:
        events = AuditEvent.objects.order_by("id")
        if options["clinic"] is not None:
            events = events.filter(clinic_id=options["clinic"])
        fields = ("id", *chain.CHAINED_FIELDS, "prev_hash", "chain_hash")
        verdict = chain.verify(events.values(*fields).iterator(chunk_size=2000))
        if verdict.broken is not None:
            broken = verdict.broken
            raise CommandError(
                f"audit chain broken at event {broken.event_id} "
                f"(clinic {broken.clinic_id if broken.clinic_id is not None else 'none'}): "
                f"{broken.reason}. {verdict.events - 1} event(s) before it verified."
            )
        self.stdout.write(
            f"audit chain intact: {verdict.events} event(s) in {verdict.chains} chain(s)"
        )
        for clinic_id, head in sorted(verdict.heads.items(), key=lambda kv: kv[0] or 0):
            label = clinic_id if clinic_id is not None else "none"
            self.stdout.write(f"  clinic {label}: head {head}", style_func=None)
