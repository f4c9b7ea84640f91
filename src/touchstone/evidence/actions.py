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
        effect_domain=effect.domain if effect else "",
        scale=effect.scale if effect else "",
        effect_design=effect.design if effect else "",
        yi=effect.yi if effect else None,
        vi=effect.vi if effect else None,
        effect_derived=effect.derived if effect else False,
        effect_note=effect.note if effect else "",
        extraction_note=s.extraction_note,
        source=s.source,
        unverified=list(s.unverified),
        critiques=[{"by": by, "text": text} for by, text in s.critiques],
    )


#: The fields of a shipped study that a newer ``studies.json`` may correct (its effect, and its
#: bibliographic data when a source is verified later, e.g. a DOI that was UNVERIFIED); the
#: clinic's copy follows the file (an owner cannot edit shipped studies).
SHIPPED_FIELDS = (
    "citation", "doi", "year", "domain", "design", "population", "n", "outcome", "result",
    "measure", "effect_domain", "scale", "effect_design", "yi", "vi", "effect_derived",
    "effect_note", "extraction_note", "source", "unverified", "critiques",
)  # fmt: skip


def do_seed_library(actor: Actor, clinic: Clinic) -> int:
    """Add the shipped studies the clinic does not have yet, and bring the shipped studies it
    has up to the shipped file (effect and bibliographic fields); returns how many rows were
    added or updated."""
    with transaction.atomic():
        have = {s.key: s for s in Study.objects.filter(clinic=clinic, shipped=True)}
        taken = set(Study.objects.filter(clinic=clinic).values_list("key", flat=True))
        rows = [_from_shipped(clinic, s) for s in shipped_studies() if s.id not in taken]
        changed = []
        for shipped in shipped_studies():
            mine = have.get(shipped.id)
            if mine is None:
                continue
            fresh = _from_shipped(clinic, shipped)
            if any(getattr(mine, f) != getattr(fresh, f) for f in SHIPPED_FIELDS):
                for f in SHIPPED_FIELDS:
                    setattr(mine, f, getattr(fresh, f))
                changed.append(mine)
        if rows:
            Study.objects.bulk_create(rows)
        if changed:
            Study.objects.bulk_update(changed, list(SHIPPED_FIELDS))
        if not rows and not changed:
            return 0
        record(
            actor,
            Action.CREATE if rows else Action.UPDATE,
            object_type="evidence.study",
            detail=f"seeded {len(rows)} shipped studies, brought {len(changed)} up to the file",
            clinic=clinic,
        )
    return len(rows) + len(changed)


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
