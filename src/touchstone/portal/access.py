"""Who acts through a private link: the client, who has no account; and what a link that no
longer works shows."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from touchstone.audit.actor import Actor
from touchstone.lib.http import client_address
from touchstone.lib.language import activate_for_client
from touchstone.portal.models import PortalLink, link_client
from touchstone.scheduling.models import Appointment


def portal_actor(request: HttpRequest, link: PortalLink) -> Actor:
    """The portal's ``Actor``: no user, the link's clinic, the caller's address."""
    return Actor("portal", link.clinic, address=client_address(request))


def appointment_actor(request: HttpRequest, appointment: Appointment) -> Actor:
    """The client behind an appointment's confirm or cancel link: no user, its clinic."""
    return Actor("portal", appointment.clinic, address=client_address(request))


def gone(request: HttpRequest, token: str | None = None) -> HttpResponse:
    """The page of a link that no longer works (404): in the language of the client a
    genuine private link ``token`` was made for, else the visitor's (their ``?lang=`` choice,
    then the browser's)."""
    activate_for_client(request, link_client(token) if token else None)
    return render(request, "portal/gone.html", status=404)
