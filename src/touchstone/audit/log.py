"""Recording audit events. Every action and every read of client data calls ``record`` with
the ``Actor`` who did it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from touchstone.audit.actor import Actor
from touchstone.audit.models import Action, AuditEvent


def record(
    actor: Actor,
    action: Action | str,
    obj: models.Model | None = None,
    *,
    object_type: str | None = None,
    object_id: Any = "",
    detail: str = "",
    clinic: Any = None,
) -> AuditEvent:
    """Append one event: who (``actor``), what (``action``), which record (``obj``, or
    ``object_type`` and ``object_id``). ``detail`` must never hold client data.

    The clinic is ``clinic`` if given, else the object's, else the actor's.
    """
    clinic_id = getattr(clinic, "pk", None)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk
        if clinic_id is None:
            clinic_id = _clinic_id_of(obj)
    if clinic_id is None and actor.clinic is not None:
        clinic_id = actor.clinic.pk
    return AuditEvent.objects.create(
        clinic_id=clinic_id,
        actor=actor.user,
        actor_label=actor.label,
        action=str(action),
        object_type=object_type or "",
        object_id=str(object_id) if object_id not in (None, "") else "",
        detail=detail[:300],
        channel=actor.channel,
        ip_address=actor.address,
    )


def _clinic_id_of(obj: models.Model) -> int | None:
    """The clinic an object belongs to, by its key: a clinic-owned row's ``clinic_id``
    (reading ``obj.clinic`` would fetch the clinic, one query per audited read), else the
    clinic of an object that names one some other way."""
    if hasattr(obj, "clinic_id"):
        return obj.clinic_id
    clinic = getattr(obj, "clinic", None)
    return clinic.pk if clinic is not None else None


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(name for name in after if before.get(name) != after[name])


def fields_detail(names: Iterable[str]) -> str:
    names = list(names)
    return f"fields: {', '.join(names)}" if names else ""
