"""The tenant boundary, enforced in one place.

* ``ClinicOwned`` is the base of every clinical model: a row belongs to one clinic, and
  ``Model.objects.for_member(member)`` is the only way views reach rows.
* ``get_for(member, queryset, **lookup)`` fetches one tenant-owned object or raises 404,
  so another clinic's object is indistinguishable from a missing one.
* ``requires(permission)`` guards every view: login, active membership, two-factor
  when required, then the role's permission (403 when the role lacks it). ``public``
  marks the few views that need no login. ``tests/test_access_matrix.py`` walks every
  URL pattern and fails for any view that carries neither mark.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, Self, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from touchstone.accounts.backends import has_device
from touchstone.accounts.models import Clinic, StaffMember
from touchstone.accounts.roles import PERMISSIONS
from touchstone.audit.actor import Actor

M = TypeVar("M", bound=models.Model)
#: Session key set while a client fills a questionnaire on a staff member's tablet.
TABLET_LOCK = "touchstone_tablet_lock"
ViewFunc = Callable[..., HttpResponseBase]


class MemberRequest(HttpRequest):
    """A request that passed ``requires``: it carries the caller's clinic membership and the
    ``Actor`` its actions and audited reads take."""

    member: StaffMember
    actor: Actor


class ClinicOwnedQuerySet(models.QuerySet[M]):
    def for_member(self, member: StaffMember) -> Self:
        return self.filter(clinic_id=member.clinic_id)


class ClinicOwned(models.Model):
    """Abstract base of every clinical row: it belongs to one clinic."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")

    objects = ClinicOwnedQuerySet.as_manager()

    class Meta:
        abstract = True


class _HasForMember(Protocol):
    def for_member(self, member: StaffMember) -> Any: ...


def get_for(member: StaffMember, queryset: Any, **lookup: Any) -> Any:
    """The one object matching ``lookup`` inside the member's clinic, or 404."""
    scoped = queryset.for_member(member) if hasattr(queryset, "for_member") else None
    if scoped is None:
        raise TypeError("get_for needs a ClinicOwned queryset")
    try:
        return scoped.get(**lookup)
    except (scoped.model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found") from None


def current_member(request: HttpRequest) -> StaffMember | None:
    """The request's membership; ``request.member`` is lazy, so test it for truth."""
    member = getattr(request, "member", None)
    return member if member else None


def requires(permission: str) -> Callable[[ViewFunc], ViewFunc]:
    """Guard a view: signed in, active staff, two-factor as the clinic requires, permission."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect(f"{reverse('accounts:login')}?next={request.path}")
            member = current_member(request)
            if member is None or not member.is_active:
                raise PermissionDenied("This login is not an active member of a clinic.")
            two_factor = two_factor_redirect(request, member)
            if two_factor is not None:
                return two_factor
            if not member.can(permission):
                raise PermissionDenied("Your role does not allow this.")
            if request.session.get(TABLET_LOCK) and not getattr(view, "tablet_ok", False):
                # A client holds the tablet: nothing but their form until staff take it back.
                return redirect(settings.TABLET_HANDBACK_URL)
            return view(request, *args, **kwargs)

        wrapped.touchstone_permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorator


def tablet_ok(view: ViewFunc) -> ViewFunc:
    """Mark a view that may open while a client holds the tablet (their form, hand-back)."""
    view.tablet_ok = True  # type: ignore[attr-defined]
    return view


def public(view: ViewFunc) -> ViewFunc:
    """Mark a view that deliberately needs no login (login page, health check, ...)."""
    view.touchstone_public = True  # type: ignore[attr-defined]
    return view


def is_verified(user: Any) -> bool:
    """Whether this login passed its second factor (set by django-otp's middleware)."""
    return bool(getattr(user, "is_verified", lambda: False)())


def second_factor_due(user: Any, member: StaffMember) -> str | None:
    """What a signed-in member's login must do before any page opens: ``"verify"`` a code of
    their device, ``"enrol"`` a device (their clinic requires two-factor), or None. Until
    then every page leads back there, so the pages show no menu (``context_processors``)."""
    from django_otp import user_has_device

    if is_verified(user):
        # Verified with a confirmed device of theirs, read this request (django-otp's
        # middleware): they have a device and passed it; no need to look for devices.
        return None
    device = has_device(user)  # read with the user (accounts/backends.py): no query
    if device is None:
        device = user_has_device(user)
    if device:
        return "verify"
    return "enrol" if member.clinic.require_two_factor else None


def two_factor_redirect(request: HttpRequest, member: StaffMember) -> HttpResponseBase | None:
    """Where a signed-in user must go first: verify a code, or set up a device."""
    due = second_factor_due(request.user, member)
    if due == "verify":
        return redirect(f"{reverse('accounts:verify')}?next={request.path}")
    if due == "enrol":
        return redirect("accounts:two_factor")
    return None
