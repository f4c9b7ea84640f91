"""Who calls the JSON API and what their role allows: the API's twin of ``access.py``.

Every operation authenticates with a personal bearer token (``TokenAuth``) and names its
permission with ``api_requires``; it reaches tenant-owned rows through the same access
helpers as the HTML views. ``touchstone/api.py`` only assembles the routers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from touchstone.accounts.models import ApiToken, StaffMember, hash_token
from touchstone.accounts.roles import PERMISSIONS
from touchstone.audit.actor import Actor
from touchstone.lib.http import client_address
from touchstone.logs import bind_clinic

#: How stale a token's "last used" may get: it is written at most once per this span, so a
#: run of API reads does not add a write (and a row lock) to every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def _note_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    # Conditional, so concurrent requests with one token write it once.
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer ts_…``: a personal token of an active staff member."""

    def authenticate(self, request: HttpRequest, token: str) -> StaffMember | None:
        row = (
            ApiToken.objects.active()
            .select_related("user__staff_member__clinic")
            .filter(key_hash=hash_token(token))
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        member = getattr(row.user, "staff_member", None)
        if member is None or not member.is_active:
            return None
        _note_use(row)
        request.user = row.user
        request.member = member  # type: ignore[attr-defined]
        request.actor = Actor.of_member(member, "api", client_address(request))  # type: ignore[attr-defined]
        # Times go out and come in in the clinic's zone (ClinicTimeZoneMiddleware resets it).
        timezone.activate(member.clinic.zone)
        bind_clinic(member.clinic_id)  # the request's later log lines name the tenant
        return member


def api_requires(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The API twin of ``accounts.access.requires``: the role must hold ``permission``."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorator(operation: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(operation)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            member = getattr(request, "member", None)
            if not member or not member.can(permission):
                raise PermissionDenied
            return operation(request, *args, **kwargs)

        wrapped.touchstone_permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorator
