from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from touchstone.accounts.models import StaffMember


def _member_of(request: HttpRequest) -> StaffMember | None:
    if not request.user.is_authenticated:
        return None
    return StaffMember.objects.select_related("clinic", "user").filter(user=request.user).first()


class MembershipMiddleware:
    """Attach ``request.member``: the signed-in user's clinic membership (or None)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.member = SimpleLazyObject(lambda: _member_of(request))  # type: ignore[attr-defined]
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
