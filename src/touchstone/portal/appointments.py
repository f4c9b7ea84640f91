"""Confirm and cancel links for an appointment, as its reminders carry them: signed,
single-purpose and expiring, with nothing stored.

A link carries ``signing.dumps({"id": pk, "at": start}, salt=SALT + purpose)``:

* **signed** — it cannot be forged, and the appointment id is all it reveals (no name);
* **single-purpose** — the salt names the purpose, so a confirm link does not cancel;
* **expiring** — it works until the appointment starts and never longer than ``MAX_AGE``
  after it was made; ``at`` ties it to the appointment's time, so moving the appointment
  voids the links sent for the old time (the new time's reminders carry new ones).

Opening a link shows the appointment and a button; only the POST (CSRF-checked) confirms or
cancels, so a mail scanner that follows links changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from touchstone.logs import bind_clinic
from touchstone.scheduling.models import Appointment

Purpose = Literal["confirm", "cancel"]
PURPOSES: tuple[Purpose, ...] = ("confirm", "cancel")
SALT = "touchstone.portal.appointment."
#: No link lives longer, whatever the appointment's date (reminders go out hours or days ahead).
MAX_AGE = dt.timedelta(days=30)


def _at(appointment: Appointment) -> int:
    return int(appointment.starts_at.timestamp())


def appointment_token(appointment: Appointment, purpose: Purpose) -> str:
    return signing.dumps({"id": appointment.pk, "at": _at(appointment)}, salt=SALT + purpose)


def appointment_url(appointment: Appointment, purpose: Purpose) -> str:
    """The absolute URL of the ``purpose`` link (``SITE_URL``: the worker has no request)."""
    path = reverse(f"portal:appointment_{purpose}", args=[appointment_token(appointment, purpose)])
    return f"{settings.SITE_URL}{path}"


def reminder_links(appointment: Appointment) -> tuple[str, str]:
    """(confirm URL, cancel URL): the reminder source's ``links``."""
    return appointment_url(appointment, "confirm"), appointment_url(appointment, "cancel")


def find_appointment(token: str, purpose: Purpose) -> Appointment | None:
    """The appointment behind a ``purpose`` link, or None: a bad or other-purpose signature,
    a link older than ``MAX_AGE``, an appointment moved since, begun, or of an archived
    client. A cancelled appointment is returned (the page says it is cancelled)."""
    try:
        data = signing.loads(token, salt=SALT + purpose, max_age=MAX_AGE)
    except signing.BadSignature:  # SignatureExpired included
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in ("id", "at")):
        return None
    appointment = (
        Appointment.objects.select_related("clinic", "client", "location")
        .filter(pk=data["id"], client__archived_at__isnull=True)
        .first()
    )
    if appointment is None or _at(appointment) != data["at"]:
        return None
    if appointment.starts_at <= timezone.now():
        return None
    bind_clinic(appointment.clinic_id)
    return appointment
