from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from touchstone.accounts.models import StaffMember
from touchstone.logs import bind_clinic


def _member_of(request: HttpRequest) -> StaffMember | None:
    if not request.user.is_authenticated:
        return None
    member = StaffMember.objects.select_related("clinic", "user").filter(user=request.user).first()
    if member is not None:
        bind_clinic(member.clinic_id)  # the request's later log lines name the tenant
    return member


class MembershipMiddleware:
    """Attach ``request.member``: the signed-in user's clinic membership (or None)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.member = SimpleLazyObject(lambda: _member_of(request))  # type: ignore[attr-defined]
        return self.get_response(request)
