"""Recording audit events. Every action and every read of client data calls ``record``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.http import HttpRequest

from touchstone.audit.models import Action, AuditEvent
from touchstone.lib.http import client_address


def record(
    request: HttpRequest | None,
    action: Action | str,
    obj: models.Model | None = None,
    *,
    object_type: str | None = None,
    object_id: Any = "",
    detail: str = "",
    clinic: Any = None,
    actor: Any = None,
    channel: str | None = None,
) -> AuditEvent:
    """Append one event. ``obj`` gives type and id; ``detail`` must never hold client data."""
    user = actor if actor is not None else getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk
        clinic = clinic if clinic is not None else getattr(obj, "clinic", None)
    if clinic is None and request is not None:
        member = getattr(request, "member", None)
        clinic = member.clinic if member else None
    return AuditEvent.objects.create(
        clinic=clinic,
        actor=user,
        actor_label=user.get_username() if user is not None else "",
        action=str(action),
        object_type=object_type or "",
        object_id=str(object_id) if object_id not in (None, "") else "",
        detail=detail[:300],
        channel=channel or str(getattr(request, "audit_channel", "web")),
        ip_address=client_address(request),
    )


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(name for name in after if before.get(name) != after[name])


def fields_detail(names: Iterable[str]) -> str:
    names = list(names)
    return f"fields: {', '.join(names)}" if names else ""
