"""Writes of the evidence library: seeding the shipped studies, adding a study, saving a
synthesis. Each validates with ``full_clean()``, runs in a transaction and is audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.text import slugify

from touchstone.accounts.models import Clinic
from touchstone.audit import writes
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.evidence.models import Study, Synthesis
from touchstone.evidence.selectors import shipped_studies
from touchstone.science.meta.library import Study as ShippedStudy


def _from_shipped(clinic: Clinic, s: ShippedStudy) -> Study:
    effect = s.effect
    return Study(
        clinic=clinic,
        key=s.id,
        shipped=True,
        citation=s.citation,
        doi=s.doi or "",
        year=s.year,
        domain=s.domain,
        design=s.design,
        population=s.population,
        n=s.n,
        outcome=s.outcome,
        result=s.result,
        measure=effect.measure if effect else "",
        yi=effect.yi if effect else None,
        vi=effect.vi if effect else None,
        effect_derived=effect.derived if effect else False,
        effect_note=effect.note if effect else "",
        extraction_note=s.extraction_note,
        source=s.source,
        unverified=list(s.unverified),
        critiques=[{"by": by, "text": text} for by, text in s.critiques],
    )


def do_seed_library(actor: Actor, clinic: Clinic) -> int:
    """Add the shipped studies the clinic does not have yet; returns how many were added."""
    with transaction.atomic():
        have = set(Study.objects.filter(clinic=clinic).values_list("key", flat=True))
        rows = [_from_shipped(clinic, s) for s in shipped_studies() if s.id not in have]
        if not rows:
            return 0
        Study.objects.bulk_create(rows)
        record(
            actor,
            Action.CREATE,
            object_type="evidence.study",
            detail=f"seeded {len(rows)} shipped studies",
            clinic=clinic,
        )
    return len(rows)


def _unique_key(clinic: Clinic, citation: str, year: int | None) -> str:
    base = slugify(f"{citation.split(' ', 1)[0]}{year or ''}")[:50] or "study"
    taken = set(
        Study.objects.filter(clinic=clinic, key__startswith=base).values_list("key", flat=True)
    )
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def do_create_study(actor: Actor, data: dict[str, Any]) -> Study:
    """Add a study to the acting owner's library (validated by the model)."""
    member = actor.staff
    clinic = member.clinic
    with transaction.atomic():
        study = Study(clinic=clinic, created_by=member, shipped=False, **data)
        study.key = _unique_key(clinic, study.citation, study.year)
        study.full_clean()
        writes.save(actor, study, Action.CREATE, detail=f"study {study.key}")
    return study


def do_save_synthesis(
    actor: Actor,
    *,
    title: str,
    study_keys: list[str],
    options: dict[str, Any],
    result: dict[str, Any],
    rows: list[dict[str, Any]],
) -> Synthesis:
    member = actor.staff
    with transaction.atomic():
        synthesis = Synthesis(
            clinic=member.clinic,
            created_by=member,
            title=title,
            study_keys=study_keys,
            options=options,
            result=result,
            rows=rows,
        )
        synthesis.full_clean()
        writes.save(actor, synthesis, Action.CREATE, detail=f"synthesis of {len(rows)} studies")
    return synthesis
