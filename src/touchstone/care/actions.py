"""Every change to the record of care goes through these functions: validated with the
model's ``full_clean()`` and written in one transaction with its version and its audit event
(identifiers only, never clinical text) by ``audit.writes``."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from touchstone.audit import writes
from touchstone.audit.actor import Actor
from touchstone.care.models import (
    ADVERSE_EVENT_FIELDS,
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
    Medication,
    Visit,
)
from touchstone.care.signals import visit_saved
from touchstone.clients.models import Client


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


def do_create_episode(actor: Actor, client: Client, data: dict[str, Any]) -> Episode:
    episode = Episode(clinic_id=client.clinic_id, client=client)
    return writes.create(actor, episode, data, fields=EPISODE_FIELDS, exclude=["clinic", "client"])


def do_update_episode(actor: Actor, episode: Episode, data: dict[str, Any]) -> list[str]:
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


def do_create_visit(actor: Actor, client: Client, data: dict[str, Any]) -> Visit:
    visit = Visit(clinic_id=client.clinic_id, client=client)
    data = {"therapist": actor.staff, **data}
    with transaction.atomic():
        writes.create(actor, visit, data, fields=VISIT_FIELDS, exclude=["clinic", "client"])
        visit_saved.send(Visit, actor=actor, visit=visit, created=True, changed=sorted(data))
    return visit


def do_update_visit(actor: Actor, visit: Visit, data: dict[str, Any]) -> list[str]:
    with transaction.atomic():
        changed = writes.update(
            actor, visit, data, fields=VISIT_FIELDS, exclude=["clinic", "client"]
        )
        if changed:
            visit_saved.send(Visit, actor=actor, visit=visit, created=False, changed=changed)
    return changed


def do_record_adverse_event(actor: Actor, visit: Visit, data: dict[str, Any]) -> AdverseEvent:
    event = AdverseEvent(clinic_id=visit.clinic_id, visit=visit)
    return writes.create(
        actor, event, data, fields=ADVERSE_EVENT_FIELDS, exclude=["clinic", "visit"]
    )


def do_update_adverse_event(actor: Actor, event: AdverseEvent, data: dict[str, Any]) -> list[str]:
    return writes.update(
        actor, event, data, fields=ADVERSE_EVENT_FIELDS, exclude=["clinic", "visit"]
    )
