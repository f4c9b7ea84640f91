from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from touchstone.accounts.models import StaffMember
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.lib.http import client_address
from touchstone.logs import bind_clinic

#: The user's side of ``StaffMember.user`` (``user.staff_member``).
_MEMBERSHIP = StaffMember._meta.get_field("user").remote_field


def _member_of(request: HttpRequest) -> StaffMember | None:
    user = request.user
    if not user.is_authenticated:
        return None
    if _MEMBERSHIP.is_cached(user):
        # Read with the user (accounts/backends.py): no query.
        member: StaffMember | None = getattr(user, _MEMBERSHIP.cache_name, None)
    else:
        member = StaffMember.objects.select_related("clinic", "user").filter(user=user).first()
    if member is not None:
        bind_clinic(member.clinic_id)  # the request's later log lines name the tenant
    return member


def web_actor(request: HttpRequest) -> Actor:
    """Who acts in a web request: the signed-in user and their membership, or an anonymous
    visitor; with the caller's address."""
    address = client_address(request)
    member = getattr(request, "member", None)
    if member:
        return Actor("web", member.clinic, member, request.user, address)
    return Actor.of_user(request.user, "web", address)


class MembershipMiddleware:
    """Attach ``request.member`` (the signed-in user's clinic membership, or None) and
    ``request.actor`` (the ``Actor`` every action and audited read of this request takes).
    Both are lazy: a request that never needs them costs no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.member = SimpleLazyObject(lambda: _member_of(request))  # type: ignore[attr-defined]
        request.actor = SimpleLazyObject(lambda: web_actor(request))  # type: ignore[attr-defined]
        return self.get_response(request)


class ClinicTimeZoneMiddleware:
    """Show, read and export dates and times in the signed-in member's clinic's time zone.

    Everything that formats or parses a date goes through Django's current time zone
    (templates' ``date`` filter, form fields, ``timezone.localdate()``), so activating the
    clinic's zone here is what makes "today" the clinic's today. Pages without a member
    (sign-in, portal links) keep the server's zone unless their view activates the clinic's
    (the portal does, for the link's clinic; the API does, for the token's). The zone is
    reset after every response: workers serve many clinics.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        member = getattr(request, "member", None)
        if member:
            timezone.activate(member.clinic.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


#: Session key of the time (epoch seconds) of the signed-in user's last request.
LAST_SEEN = "touchstone_last_seen"
#: How stale the stored time may get before a request rewrites it (seconds).
SEEN_RESOLUTION = 60


class IdleLogoutMiddleware:
    """Sign staff out after their clinic's ``idle_minutes`` without a request (a screen left
    open at the front desk), besides the session's 8-hour limit (``SESSION_COOKIE_AGE``).

    The session stores the time of the last request; a request after a longer pause ends the
    session (audited as a sign-out, "idle") and goes to the sign-in page. The API (tokens,
    no session) is not concerned.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        member = getattr(request, "member", None) if request.user.is_authenticated else None
        if member:
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            if isinstance(last, int) and now - last > member.clinic.idle_minutes * 60:
                record(request.actor, Action.LOGOUT, object_type="auth.user",  # type: ignore[attr-defined]
                       object_id=request.user.pk, detail="idle")  # fmt: skip
                logout(request)
                return redirect(f"{reverse('accounts:login')}?next={request.path}")
            if not isinstance(last, int) or now - last >= SEEN_RESOLUTION:
                # To the minute: a page view does not rewrite the session row every time.
                request.session[LAST_SEEN] = now
        return self.get_response(request)


@receiver(user_logged_in)
def _seen_at_sign_in(sender: Any, request: HttpRequest | None, **_: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())
