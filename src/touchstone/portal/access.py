"""Who acts through a private link: the client, who has no account."""

from __future__ import annotations

from django.http import HttpRequest

from touchstone.audit.actor import Actor
from touchstone.lib.http import client_address
from touchstone.portal.models import PortalLink
from touchstone.scheduling.models import Appointment


def portal_actor(request: HttpRequest, link: PortalLink) -> Actor:
    """The portal's ``Actor``: no user, the link's clinic, the caller's address."""
    return Actor("portal", link.clinic, address=client_address(request))


def appointment_actor(request: HttpRequest, appointment: Appointment) -> Actor:
    """The client behind an appointment's confirm or cancel link: no user, its clinic."""
    return Actor("portal", appointment.clinic, address=client_address(request))
