"""``touchstone change INSTRUMENT --pre X --post Y``: reliable and clinical change, as JSON.

Prints one JSON object (``ChangeResult.to_dict``) with at least ``rci``,
``reliable_change`` ("improved" / "deteriorated" / "none", or null when the instrument has no
reliability data), ``classification``, ``response`` and ``remission``. Exit 2 on invalid input.
``--criteria nhs-talking-therapies`` applies the NHS Talking Therapies thresholds (PHQ-9,
GAD-7) instead of Jacobson & Truax (docs/change-statistics.md).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from touchstone.measures.management.commands.score import get_instrument
from touchstone.science.change import CRITERIA
from touchstone.science.instruments import change


class Command(BaseCommand):
    help = "Reliable change index, clinical significance, response and remission."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("instrument", help="instrument id, e.g. phq9")
        parser.add_argument("--pre", type=float, required=True, help="baseline total")
        parser.add_argument("--post", type=float, required=True, help="follow-up total")
        parser.add_argument("--reliability", type=float, help="override test-retest r")
        parser.add_argument("--sd", type=float, help="override the SD used in the RCI")
        parser.add_argument(
            "--criteria",
            choices=CRITERIA,
            default=CRITERIA[0],
            help="reliable change and cut-off definitions (default: jacobson-truax)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        instrument = get_instrument(options["instrument"])
        lo, hi = instrument.total_min, instrument.total_max
        for key in ("pre", "post"):
            if not lo <= options[key] <= hi:
                raise CommandError(
                    f"--{key} {options[key]:g} is outside {instrument.id}'s range {lo}-{hi}",
                    returncode=2,
                )
        r, sd = options["reliability"], options["sd"]
        if r is not None and not 0 < r < 1:
            raise CommandError("--reliability must be between 0 and 1", returncode=2)
        if sd is not None and sd <= 0:
            raise CommandError("--sd must be positive", returncode=2)
        result = change(
            instrument,
            options["pre"],
            options["post"],
            reliability=r,
            sd=sd,
            criteria=options["criteria"],
        )
        self.stdout.write(json.dumps(result.to_dict()))
