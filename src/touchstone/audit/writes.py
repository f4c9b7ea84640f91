"""The one audited write: validate, save in one transaction, keep the version and record the
event. Every app's actions write through these functions, so "who did it" is set in one place:
the audit event's actor and django-simple-history's ``history_user`` both come from the
``Actor`` here, and nowhere else.

* ``create(actor, obj, data, fields=..., exclude=...)`` — set ``data`` (only ``fields``), run
  the model's ``full_clean()`` (the rules HTML forms and the API share), save, record CREATE.
* ``update(actor, obj, data, fields=..., exclude=...)`` — the same for a change; records the
  names of the changed fields (never their values) and writes nothing when nothing changed.
* ``save(actor, obj, action, update_fields=..., detail=...)`` — a change the action made
  itself (archive, close an alert, spend a link): save and record in one transaction.
* ``bulk_create(actor, model, rows)`` — many rows at once with their first versions (record
  one event for the batch yourself).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import models, transaction
from simple_history.utils import bulk_create_with_history

from touchstone.audit.actor import Actor
from touchstone.audit.log import changed_fields, fields_detail, record
from touchstone.audit.models import Action

M = TypeVar("M", bound=models.Model)


def apply(
    obj: models.Model, data: dict[str, Any], fields: Iterable[str], exclude: Sequence[str]
) -> list[str]:
    """Set ``data`` on ``obj`` and validate; returns the names of the fields that changed.

    Raises ``ValueError`` for a name outside ``fields`` (a programming error) and Django's
    ``ValidationError`` for bad values (nothing is saved).
    """
    fields = list(fields)
    before = {name: obj.serializable_value(name) for name in fields}
    for name, value in data.items():
        if name not in fields:
            raise ValueError(f"{name} is not an editable field of {obj._meta.label}")
        setattr(obj, name, value)
    obj.full_clean(exclude=list(exclude))
    return changed_fields(before, {name: obj.serializable_value(name) for name in fields})


def save(
    actor: Actor,
    obj: M,
    action: Action | str,
    *,
    update_fields: Sequence[str] | None = None,
    detail: str = "",
) -> M:
    """Save ``obj`` as ``actor`` and record ``action`` on it, in one transaction."""
    # django-simple-history takes a version's author from this attribute.
    obj._history_user = actor.user  # type: ignore[attr-defined]
    with transaction.atomic():
        obj.save(update_fields=list(update_fields) if update_fields is not None else None)
        record(actor, action, obj, detail=detail)
    return obj


def create(
    actor: Actor,
    obj: M,
    data: dict[str, Any],
    *,
    fields: Iterable[str],
    exclude: Sequence[str] = ("clinic", "client"),
    detail: str = "",
) -> M:
    """Validate ``data`` onto the new ``obj``, save it and record CREATE."""
    apply(obj, data, fields, exclude)
    return save(actor, obj, Action.CREATE, detail=detail)


def update(
    actor: Actor,
    obj: models.Model,
    data: dict[str, Any],
    *,
    fields: Iterable[str],
    exclude: Sequence[str] = ("clinic", "client"),
) -> list[str]:
    """Validate ``data`` onto ``obj``; if anything changed, save it and record UPDATE with the
    changed field names. Returns those names."""
    changed = apply(obj, data, fields, exclude)
    if changed:
        save(actor, obj, Action.UPDATE, detail=fields_detail(changed))
    return changed


def bulk_create(actor: Actor, model: type[M], rows: Sequence[M]) -> list[M]:
    """Insert ``rows`` of ``model`` with their first versions, as ``actor``."""
    return bulk_create_with_history(list(rows), model, default_user=actor.user)
