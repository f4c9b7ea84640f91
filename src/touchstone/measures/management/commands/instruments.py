"""``touchstone instruments [INSTRUMENT]``: list instruments, or one instrument's items.

Prints one JSON object. Without an argument: every instrument with its licence status.
With one: its items in the order ``touchstone score`` expects them.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from touchstone.measures.management.commands.score import get_instrument
from touchstone.science.instruments import Instrument, all_instruments


def summary(inst: Instrument) -> dict[str, Any]:
    """One line of the instrument list."""
    return {
        "id": inst.id,
        "title": inst.title,
        "licence": inst.licence.status,
        "text_included": inst.licence.text_included,
        "validated": inst.validated,
        "scored_items": len(inst.scored_items),
        "items": len(inst.items),
        "range": [inst.total_min, inst.total_max],
        "direction": inst.change.direction,
    }


def detail(inst: Instrument) -> dict[str, Any]:
    """Everything a caller needs to enter answers and read the score."""
    return summary(inst) | {
        "copyright": inst.copyright,
        "licence_note": inst.licence.note,
        "how_to_supply_text": inst.licence.how_to_supply_text,
        "item_list": [
            {
                "position": it.number,
                "linkId": it.link_id,
                "code": it.codes[0].code if it.codes else None,
                "text": it.text,
                "scored": it.scored,
                "reverse": it.reverse,
                "values": [it.min_value, it.max_value],
                "options": [
                    {"value": o.value, "code": o.code, "display": o.display} for o in it.options
                ],
            }
            for it in inst.items
        ],
        "bands": [
            {"min": b.min, "max": b.max, "label": b.label, "alert": b.alert} for b in inst.bands
        ],
        "risk_items": [{"linkId": r.link_id, "min": r.min, "label": r.label} for r in inst.risk],
        "subscales": {s.id: list(s.link_ids) for s in inst.subscales},
        "missing_rule": {
            "max_missing": inst.missing.max_missing,
            "prorate": inst.missing.prorate,
            "note": inst.missing.note,
        },
        "notes": list(inst.notes),
    }


class Command(BaseCommand):
    help = "List instruments with licence status, or one instrument's items in order."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("instrument", nargs="?", help="instrument id, e.g. phq9")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["instrument"]:
            out = detail(get_instrument(options["instrument"]))
        else:
            out = {"instruments": [summary(i) for i in all_instruments().values()]}
        self.stdout.write(json.dumps(out))
