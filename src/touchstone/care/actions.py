"""Every change to the record of care goes through these functions: validate with the
model's ``full_clean()``, write in one transaction (the version is kept by
django-simple-history) and record the audit event (identifiers only, never clinical text)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models, transaction
from django.http import HttpRequest

from touchstone.accounts.models import StaffMember
from touchstone.audit.log import changed_fields, fields_detail, record
from touchstone.audit.models import Action
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
from touchstone.clients.models import Client

M = TypeVar("M", bound=models.Model)


def _apply(obj: M, data: dict[str, Any], fields: list[str], exclude: list[str]) -> list[str]:
    """Set ``data`` on ``obj``, validate, and return the names of the changed fields."""
    before = {name: obj.serializable_value(name) for name in fields}
    for name, value in data.items():
        if name not in fields:
            raise ValueError(f"{name} is not an editable field of {obj._meta.label}")
        setattr(obj, name, value)
    obj.full_clean(exclude=exclude)
    return changed_fields(before, {name: obj.serializable_value(name) for name in fields})


def _create(
    member: StaffMember,
    obj: M,
    data: dict[str, Any],
    fields: list[str],
    request: HttpRequest | None,
    exclude: list[str],
) -> M:
    _apply(obj, data, fields, exclude)
    obj._history_user = member.user  # type: ignore[attr-defined]
    with transaction.atomic():
        obj.save()
        record(request, Action.CREATE, obj, actor=member.user)
    return obj


def _update(
    member: StaffMember,
    obj: M,
    data: dict[str, Any],
    fields: list[str],
    request: HttpRequest | None,
    exclude: list[str],
) -> list[str]:
    changed = _apply(obj, data, fields, exclude)
    if not changed:
        return []
    obj._history_user = member.user  # type: ignore[attr-defined]
    with transaction.atomic():
        obj.save()
        record(request, Action.UPDATE, obj, actor=member.user, detail=fields_detail(changed))
    return changed


def do_save_intake(
    member: StaffMember, client: Client, data: dict[str, Any], request: HttpRequest | None = None
) -> tuple[Intake, list[str]]:
    """Create the client's intake or change it; returns it and the changed fields."""
    intake = Intake.objects.filter(client=client).first()
    if intake is None:
        intake = Intake(clinic_id=client.clinic_id, client=client)
        _create(member, intake, data, INTAKE_FIELDS, request, ["clinic", "client"])
        return intake, list(data)
    return intake, _update(member, intake, data, INTAKE_FIELDS, request, ["clinic", "client"])


def do_create_medication(
    member: StaffMember, client: Client, data: dict[str, Any], request: HttpRequest | None = None
) -> Medication:
    medication = Medication(clinic_id=client.clinic_id, client=client)
    return _create(member, medication, data, MEDICATION_FIELDS, request, ["clinic", "client"])


def do_update_medication(
    member: StaffMember,
    medication: Medication,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> list[str]:
    return _update(member, medication, data, MEDICATION_FIELDS, request, ["clinic", "client"])


def do_record_screen(
    member: StaffMember, client: Client, data: dict[str, Any], request: HttpRequest | None = None
) -> ContraindicationScreen:
    """A new contraindication screen; it becomes the client's current one."""
    screen = ContraindicationScreen(clinic_id=client.clinic_id, client=client, screened_by=member)
    return _create(
        member, screen, data, SCREEN_FIELDS, request, ["clinic", "client", "screened_by"]
    )


def do_create_episode(
    member: StaffMember, client: Client, data: dict[str, Any], request: HttpRequest | None = None
) -> Episode:
    episode = Episode(clinic_id=client.clinic_id, client=client)
    return _create(member, episode, data, EPISODE_FIELDS, request, ["clinic", "client"])


def do_update_episode(
    member: StaffMember,
    episode: Episode,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> list[str]:
    return _update(member, episode, data, EPISODE_FIELDS, request, ["clinic", "client"])


def do_add_diagnosis(
    member: StaffMember,
    episode: Episode,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> Diagnosis:
    """Only a licensed clinician (``diagnoses.edit``) may enter a diagnosis."""
    if not member.can("diagnoses.edit"):
        raise PermissionError("only a licensed clinician may enter a diagnosis")
    diagnosis = Diagnosis(clinic_id=episode.clinic_id, episode=episode, entered_by=member)
    return _create(
        member, diagnosis, data, ["code", "source"], request, ["clinic", "episode", "entered_by"]
    )


def do_create_visit(
    member: StaffMember, client: Client, data: dict[str, Any], request: HttpRequest | None = None
) -> Visit:
    visit = Visit(clinic_id=client.clinic_id, client=client)
    data = {"therapist": member, **data}
    return _create(member, visit, data, VISIT_FIELDS, request, ["clinic", "client"])


def do_update_visit(
    member: StaffMember, visit: Visit, data: dict[str, Any], request: HttpRequest | None = None
) -> list[str]:
    return _update(member, visit, data, VISIT_FIELDS, request, ["clinic", "client"])


def do_record_adverse_event(
    member: StaffMember, visit: Visit, data: dict[str, Any], request: HttpRequest | None = None
) -> AdverseEvent:
    event = AdverseEvent(clinic_id=visit.clinic_id, visit=visit)
    return _create(member, event, data, ADVERSE_EVENT_FIELDS, request, ["clinic", "visit"])


def do_update_adverse_event(
    member: StaffMember,
    event: AdverseEvent,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> list[str]:
    return _update(member, event, data, ADVERSE_EVENT_FIELDS, request, ["clinic", "visit"])
