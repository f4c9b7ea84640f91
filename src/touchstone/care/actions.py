"""Every change to the record of care goes through these functions: validated with the
model's ``full_clean()`` and written in one transaction with its version and its audit event
(identifiers only, never clinical text) by ``audit.writes``."""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from touchstone.audit import writes
from touchstone.audit.actor import Actor
from touchstone.audit.models import Action
from touchstone.care.contraindications import Result
from touchstone.care.models import (
    ADVERSE_EVENT_FIELDS,
    CLEARANCE_FIELDS,
    EPISODE_FIELDS,
    INTAKE_FIELDS,
    MEDICATION_FIELDS,
    SCREEN_FIELDS,
    VISIT_FIELDS,
    AdverseEvent,
    ContraindicationScreen,
    Diagnosis,
    Episode,
    Intake,
    MedicalClearance,
    Medication,
    Visit,
    VisitAddendum,
    VisitStatus,
)
from touchstone.care.signals import visit_saved
from touchstone.clients.models import Client
from touchstone.instruments.catalogue import plan_errors

#: What completing a visit sets about medical clearance, besides the visit's own fields.
CLEARANCE_SET = ["clearance", "clearance_override_by"]
NEEDS_CLEARANCE = (
    "This client's contraindication screen says they need medical clearance. Record the "
    "provider's clearance on the intake page, or write why the visit goes ahead without it."
)


class VisitLocked(ValidationError):
    """A signed visit note is final; corrections are addenda."""

    def __init__(self, visit: Visit) -> None:
        when = timezone.localtime(visit.signed_at).strftime("%Y-%m-%d %H:%M")
        super().__init__(
            f"This visit's note was signed on {when} and can no longer be changed; "
            "add a dated addendum instead.",
            code="visit_signed",
        )


def _treating(actor: Actor, what: str) -> Any:
    member = actor.staff
    if not member.can("care.edit"):
        raise PermissionError(f"only a member of staff who treats clients may {what}")
    return member


def do_save_intake(actor: Actor, client: Client, data: dict[str, Any]) -> tuple[Intake, list[str]]:
    """Create the client's intake or change it; returns it and the changed fields."""
    intake = Intake.objects.filter(client=client).first()
    if intake is None:
        intake = Intake(clinic_id=client.clinic_id, client=client)
        writes.create(actor, intake, data, fields=INTAKE_FIELDS, exclude=["clinic", "client"])
        return intake, list(data)
    return intake, writes.update(
        actor, intake, data, fields=INTAKE_FIELDS, exclude=["clinic", "client"]
    )


def do_create_medication(actor: Actor, client: Client, data: dict[str, Any]) -> Medication:
    medication = Medication(clinic_id=client.clinic_id, client=client)
    return writes.create(
        actor, medication, data, fields=MEDICATION_FIELDS, exclude=["clinic", "client"]
    )


def do_update_medication(actor: Actor, medication: Medication, data: dict[str, Any]) -> list[str]:
    return writes.update(
        actor, medication, data, fields=MEDICATION_FIELDS, exclude=["clinic", "client"]
    )


def do_record_screen(actor: Actor, client: Client, data: dict[str, Any]) -> ContraindicationScreen:
    """A new contraindication screen; it becomes the client's current one."""
    screen = ContraindicationScreen(
        clinic_id=client.clinic_id, client=client, screened_by=actor.staff
    )
    return writes.create(
        actor, screen, data, fields=SCREEN_FIELDS, exclude=["clinic", "client", "screened_by"]
    )


PLAN_FIELDS = ("plan_intake", "plan_each_visit", "plan_periodic")


def _check_plan(episode: Episode, data: dict[str, Any], fields: Any = PLAN_FIELDS) -> None:
    """A plan holds only what this clinic can give: licensed instruments once their text is
    entered, and the clinic's own live instruments (never another clinic's). Raises every
    error of ``data`` at once (the model's and the plan's) and writes nothing."""
    errors: dict[str, list[str]] = {}
    for name in fields:
        value = data.get(name)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            problems = plan_errors(episode.clinic_id, value)
            if problems:
                errors[name] = problems
    if not errors:
        return
    try:
        writes.apply(episode, data, EPISODE_FIELDS, ["clinic", "client"])
    except ValidationError as invalid:
        for field, messages in invalid.message_dict.items():
            errors[field] = messages  # the model's message covers an unknown id too
    raise ValidationError(errors)


def do_create_episode(actor: Actor, client: Client, data: dict[str, Any]) -> Episode:
    episode = Episode(clinic_id=client.clinic_id, client=client)
    _check_plan(episode, data)
    return writes.create(actor, episode, data, fields=EPISODE_FIELDS, exclude=["clinic", "client"])


def do_update_episode(actor: Actor, episode: Episode, data: dict[str, Any]) -> list[str]:
    # An unchanged plan stays valid (a text entered since, or a plan from before a licence).
    changed_plan = {k: v for k, v in data.items() if k in PLAN_FIELDS and v != getattr(episode, k)}
    if changed_plan:
        _check_plan(copy.copy(episode), data, fields=list(changed_plan))
    return writes.update(actor, episode, data, fields=EPISODE_FIELDS, exclude=["clinic", "client"])


def do_add_diagnosis(actor: Actor, episode: Episode, data: dict[str, Any]) -> Diagnosis:
    """Only a licensed clinician (``diagnoses.edit``) may enter a diagnosis."""
    member = actor.staff
    if not member.can("diagnoses.edit"):
        raise PermissionError("only a licensed clinician may enter a diagnosis")
    diagnosis = Diagnosis(clinic_id=episode.clinic_id, episode=episode, entered_by=member)
    return writes.create(
        actor,
        diagnosis,
        data,
        fields=["code", "source"],
        exclude=["clinic", "episode", "entered_by"],
    )


def do_record_clearance(actor: Actor, client: Client, data: dict[str, Any]) -> MedicalClearance:
    """Record a provider's medical clearance for the client's current screen."""
    member = _treating(actor, "record a medical clearance")
    screen = ContraindicationScreen.objects.filter(client_id=client.pk).first()
    if screen is None or screen.result != Result.CLEARANCE:
        raise ValidationError("The client's current screen does not ask for medical clearance.")
    clearance = MedicalClearance(
        clinic_id=client.clinic_id, client=client, screen=screen, recorded_by=member
    )
    return writes.create(
        actor,
        clearance,
        data,
        fields=CLEARANCE_FIELDS,
        exclude=["clinic", "client", "screen", "recorded_by"],
    )


def _clearance_terms(
    actor: Actor, client: Client, completing: bool, data: dict[str, Any]
) -> dict[str, Any]:
    """What completing a visit records about medical clearance.

    Only a visit that becomes completed is checked, against the client's current screen: when
    it needs medical clearance, the newest clearance of that screen is linked; without one, a
    written override reason is required (its author is recorded), else ``ValidationError``.
    """
    if not completing:
        return {}
    screen = ContraindicationScreen.objects.filter(client_id=client.pk).first()
    if screen is None or screen.result != Result.CLEARANCE:
        return {}
    clearance = screen.clearances.first()
    if clearance is not None:
        return {"clearance": clearance}
    if (data.get("clearance_override") or "").strip():
        return {"clearance_override_by": actor.staff}
    raise ValidationError({"clearance_override": NEEDS_CLEARANCE})


def _clearance_detail(terms: dict[str, Any]) -> str:
    if "clearance" in terms:
        return f"completed under medical clearance {terms['clearance'].pk}"
    if terms:
        return "completed without medical clearance: override reason given"
    return ""


def do_create_visit(actor: Actor, client: Client, data: dict[str, Any]) -> Visit:
    visit = Visit(clinic_id=client.clinic_id, client=client)
    data = {"therapist": actor.staff, **data}
    terms = _clearance_terms(actor, client, data.get("status") == VisitStatus.COMPLETED, data)
    with transaction.atomic():
        writes.create(
            actor,
            visit,
            {**data, **terms},
            fields=[*VISIT_FIELDS, *CLEARANCE_SET],
            exclude=["clinic", "client"],
            detail=_clearance_detail(terms),
        )
        visit_saved.send(Visit, actor=actor, visit=visit, created=True, changed=sorted(data))
    return visit


def do_update_visit(actor: Actor, visit: Visit, data: dict[str, Any]) -> list[str]:
    """Change a visit whose note is not signed yet (a signed one raises ``VisitLocked``)."""
    if visit.signed_at is not None:
        raise VisitLocked(visit)
    completing = (
        visit.status != VisitStatus.COMPLETED
        and data.get("status", visit.status) == VisitStatus.COMPLETED
    )
    terms = _clearance_terms(actor, visit.client, completing, data)
    with transaction.atomic():
        changed = writes.update(
            actor,
            visit,
            {**data, **terms},
            fields=[*VISIT_FIELDS, *CLEARANCE_SET],
            exclude=["clinic", "client"],
        )
        if changed:
            visit_saved.send(Visit, actor=actor, visit=visit, created=False, changed=changed)
    return changed


def do_sign_visit(actor: Actor, visit: Visit) -> Visit:
    """Sign a completed visit's note: who and when are recorded, and the note is locked."""
    member = _treating(actor, "sign a visit note")
    if visit.signed_at is not None:
        raise VisitLocked(visit)
    if visit.status != VisitStatus.COMPLETED:
        raise ValidationError("Only a completed visit's note can be signed.", code="not_completed")
    visit.signed_at, visit.signed_by = timezone.now(), member
    return writes.save(
        actor, visit, Action.UPDATE, update_fields=["signed_at", "signed_by"], detail="note signed"
    )


def do_add_addendum(actor: Actor, visit: Visit, data: dict[str, Any]) -> VisitAddendum:
    """A dated addendum to a signed note, signed by its author as it is written."""
    member = _treating(actor, "add an addendum")
    addendum = VisitAddendum(clinic_id=visit.clinic_id, visit=visit, signed_by=member)
    return writes.create(
        actor, addendum, data, fields=["text"], exclude=["clinic", "visit", "signed_by"]
    )


def do_record_adverse_event(actor: Actor, visit: Visit, data: dict[str, Any]) -> AdverseEvent:
    event = AdverseEvent(clinic_id=visit.clinic_id, visit=visit)
    return writes.create(
        actor, event, data, fields=ADVERSE_EVENT_FIELDS, exclude=["clinic", "visit"]
    )


def do_update_adverse_event(actor: Actor, event: AdverseEvent, data: dict[str, Any]) -> list[str]:
    return writes.update(
        actor, event, data, fields=ADVERSE_EVENT_FIELDS, exclude=["clinic", "visit"]
    )
