"""``touchstone claims 837p --visits ID[,ID…] --out FILE``, ``touchstone claims cms1500
--visits ID[,ID…] --out FILE.pdf`` and ``touchstone claims import-835 FILE``: the claims of
completed visits as an X12 837P 5010 file or CMS-1500 (02/12) pages, and a payer's 835
remittance posted to them. Bad input: one line, exit status 2, nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandParser

from touchstone.accounts.commands import TouchstoneCommand, bad
from touchstone.care.models import Visit
from touchstone.claims import actions
from touchstone.claims.x835 import RemittanceError
from touchstone.science.ledger import LedgerError

#: The most visits one command takes (a claim has at most 50 lines).
MAX_VISITS = 500


def _visit_ids(value: str) -> list[int]:
    try:
        ids = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise bad(f"--visits takes visit ids separated by commas, not {value!r}") from None
    if not ids or len(ids) > MAX_VISITS or any(i < 1 or i > 2**63 - 1 for i in ids):
        raise bad(f"--visits takes 1 to {MAX_VISITS} positive visit ids")
    return list(dict.fromkeys(ids))


class Command(TouchstoneCommand):
    help = "Insurance claims: 837P files, CMS-1500 pages, 835 remittance import."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        for name, what in (("837p", "an X12 837P 5010 file"), ("cms1500", "CMS-1500 pages")):
            command = sub.add_parser(name, help=f"The claims of visits as {what}.")
            command.add_argument("--visits", required=True, help="Visit ids: 12,13,14")
            command.add_argument("--out", required=True, type=Path, help="The file to write.")
            self.add_clinic_argument(command)
        remit = sub.add_parser("import-835", help="Post an 835 remittance to its claims.")
        remit.add_argument("file", type=Path)
        self.add_clinic_argument(remit)

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = self.clinic_for(options.get("clinic"))
        actor = self.actor_for(clinic)
        try:
            if options["what"] == "import-835":
                self._import(actor, options["file"])
                return
            ids = _visit_ids(options["visits"])
            visits = list(
                Visit.objects.filter(clinic=clinic, pk__in=ids).select_related(
                    "client", "therapist__user"
                )
            )
            missing = sorted(set(ids) - {v.pk for v in visits})
            if missing:
                raise bad(f"no visit {', '.join(map(str, missing))} in this clinic")
            visits.sort(key=lambda v: ids.index(v.pk))
            out: Path = options["out"]
            if not out.parent.is_dir():
                raise bad(f"no directory {out.parent} to write {out.name} in")
            if options["what"] == "837p":
                text, submission = actions.do_export_837p(actor, visits)
                out.write_text(text, encoding="ascii")
                self.stdout.write(
                    f"{out}: 837P file {submission.number} with "
                    f"{submission.claims.count()} claims\n"
                )
            else:
                pdf, claims = actions.do_export_cms1500(actor, visits)
                out.write_bytes(pdf)
                self.stdout.write(f"{out}: CMS-1500 for {len(claims)} claims\n")
        except actions.ClaimError as error:
            raise bad("; ".join(error.problems)) from None

    def _import(self, actor: Any, path: Path) -> None:
        try:
            text = path.read_text(encoding="ascii")
        except FileNotFoundError:
            raise bad(f"no file {path}") from None
        except UnicodeDecodeError:
            raise bad(f"{path} is not an X12 text file (it has bytes that are not ASCII)") from None
        try:
            remittance = actions.do_import_835(actor, text)
        except (RemittanceError, LedgerError) as error:
            raise bad(f"{path}: {error}; nothing was posted") from None
        except ValidationError as error:
            raise bad(f"{path}: {' '.join(error.messages)}; nothing was posted") from None
        denied = remittance.claims.filter(status="4").count()
        self.stdout.write(
            f"Remittance {remittance.trace_number}: {remittance.claims.count()} claims, "
            f"{remittance.total} paid, {denied} denied\n"
        )
