"""``touchstone instruments [INSTRUMENT] [--lang LANG]``: list instruments, or one
instrument's items.

Prints one JSON object. Without an argument: every instrument with its licence status (with
``--lang es``: those with an official translation in Spanish). With one: its items in the order
``touchstone score`` expects them (with ``--lang es``: its instructions, items and answer labels
in Spanish, or in English with a note when it has no official Spanish translation). With
``--clinic SLUG`` as well: what that clinic can give in the language, i.e. also the
instruments whose official translation (or licensed text) the clinic's owner entered in it
(docs/instruments.md, "Translations"), and one instrument in the clinic's text.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from touchstone.accounts.commands import TouchstoneCommand, bad
from touchstone.accounts.models import Clinic
from touchstone.instruments.catalogue import clinic_text, with_text
from touchstone.measures.management.commands.score import get_instrument
from touchstone.science.instruments import Instrument, all_instruments, in_language


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
        "languages": list(inst.languages),
    }


def detail(inst: Instrument) -> dict[str, Any]:
    """Everything a caller needs to enter answers and read the score."""
    return summary(inst) | {
        "language": inst.language,
        "instructions": list(inst.instructions),
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


def in_clinic_language(clinic: Clinic | None, inst: Instrument, lang: str) -> Instrument:
    """``inst`` in ``lang``: its shipped translation, or the text ``clinic`` entered in it."""
    text = None if clinic is None else clinic_text(clinic, inst, lang)
    if text is not None and text.language in (lang, lang.split("-")[0].lower()):
        return with_text(inst, text)
    return in_language(inst, lang)


class Command(TouchstoneCommand):
    help = "List instruments with licence status, or one instrument's items in order."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("instrument", nargs="?", help="instrument id, e.g. phq9")
        parser.add_argument(
            "--lang",
            metavar="LANG",
            help="a language (BCP 47, e.g. es): the instruments available in it, or one "
            "instrument's texts in it",
        )
        parser.add_argument(
            "--clinic",
            metavar="SLUG",
            help="with --lang: also the texts this clinic entered in that language",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        lang = options["lang"]
        if options["clinic"] and lang is None:
            raise bad("--clinic needs --lang")
        clinic = self.clinic_for(options["clinic"]) if options["clinic"] else None
        if options["instrument"]:
            inst = get_instrument(options["instrument"])
            out = detail(inst if lang is None else in_clinic_language(clinic, inst, lang))
            if lang is not None and out["language"] != lang:
                out["note"] = (
                    f"{inst.title} has no official translation in {lang!r}: available in "
                    f"{', '.join(inst.languages)} only."
                )
        else:
            listed = [
                i
                for i in all_instruments().values()
                if lang is None or in_clinic_language(clinic, i, lang).language == lang
            ]
            out = {"instruments": [summary(i) for i in listed]}
        self.stdout.write(json.dumps(out, ensure_ascii=False))
