"""Every write of body measures goes through these functions: validate with the model's
``full_clean()`` (which runs the science core), write in one transaction (versions kept by
django-simple-history) and record the audit event — identifiers only, never values."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Sequence
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from touchstone.accounts.models import StaffMember
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.models import Client
from touchstone.logs import import_finished, line_of, upload_refused
from touchstone.physiology.models import (
    SLEEP_FIELDS,
    Entry,
    Recording,
    Sample,
    SleepNight,
    WearableDay,
)
from touchstone.portal.actions import do_create_portal_link
from touchstone.portal.models import PortalLink, Purpose
from touchstone.science.physiology import PhysiologyError, units
from touchstone.science.physiology import hrv as hrv_core

M = TypeVar("M", bound=models.Model)

SAMPLE_FIELDS = [
    "analyte",
    "value",
    "unit",
    "specimen",
    "collected_at",
    "minutes_since_waking",
    "visit",
    "timing",
    "lab",
    "reference_low",
    "reference_high",
    "reference_unit",
]
RECORDING_FIELDS = ["recorded_at", "visit", "timing", "device"]
#: Largest RR file accepted: a 24-hour recording (~100,000 beats) is about 0.6 MB as a
#: plain list and 3 MB as a Polar Sensor Logger export.
MAX_RR_BYTES = 4 * 1024 * 1024


def _create(
    member: StaffMember | None,
    obj: M,
    data: dict[str, Any],
    fields: list[str],
    request: HttpRequest | None,
    channel: str | None = None,
) -> M:
    for name, value in data.items():
        if name not in fields:
            raise ValueError(f"{name} is not an editable field of {obj._meta.label}")
        setattr(obj, name, value)
    obj.full_clean(exclude=["clinic", "client"])
    obj._history_user = member.user if member else None  # type: ignore[attr-defined]
    with transaction.atomic():
        obj.save()
        record(
            request,
            Action.CREATE,
            obj,
            actor=member.user if member else None,
            channel=channel,
        )
    return obj


def do_create_sample(
    member: StaffMember, client: Client, data: dict[str, Any], request: HttpRequest | None = None
) -> Sample:
    """Log a biomarker sample; the canonical value is computed in ``Sample.clean``."""
    sample = Sample(clinic_id=client.clinic_id, client=client, created_by=member)
    data = dict(data)
    for name in ("unit", "reference_unit"):
        if data.get(name):
            # "µg/dL" → "ug/dL" before the choices are checked; an unknown unit is left as
            # given for the field's choices to reject with their own message.
            with contextlib.suppress(PhysiologyError):
                data[name] = units.normalise_unit(data[name])
    return _create(member, sample, data, SAMPLE_FIELDS, request)


def read_rr_upload(raw: bytes) -> hrv_core.RRRecording:
    """Decode an uploaded RR file and parse it with the science core, or raise
    ``ValidationError`` with its message (size, encoding, format)."""
    if len(raw) > MAX_RR_BYTES:
        upload_refused("hrv_recording", "too_large", size_bytes=len(raw))
        raise ValidationError(
            {"file": f"The file is larger than {MAX_RR_BYTES // (1024 * 1024)} MB."}
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        upload_refused("hrv_recording", "not_utf8", size_bytes=len(raw))
        raise ValidationError(
            {
                "file": "This is not a text file (UTF-8 expected): upload the RR export as .txt "
                "or .csv."
            }
        ) from None
    try:
        return hrv_core.read_rr(text)
    except PhysiologyError as error:
        line = line_of(str(error))
        upload_refused("hrv_recording", "unreadable", size_bytes=len(raw), line=line)
        raise ValidationError({"file": _sentence(error)}) from None


def do_create_recording(
    member: StaffMember,
    client: Client,
    raw: bytes,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> Recording:
    """Parse an RR file, correct artifacts and compute the metrics, then store all of it."""
    parsed = read_rr_upload(raw)
    try:
        metrics = hrv_core.hrv_metrics(parsed.rr_ms)
    except PhysiologyError as error:
        upload_refused(
            "hrv_recording", error.reason, size_bytes=len(raw), n_beats=int(parsed.rr_ms.size)
        )
        raise ValidationError({"file": _sentence(error)}) from None
    recording = Recording(
        clinic_id=client.clinic_id,
        client=client,
        created_by=member,
        source_format=parsed.format,
        rr_ms=[round(float(x), 3) for x in parsed.rr_ms],
    )
    recording.set_metrics(metrics)
    return _create(member, recording, data, RECORDING_FIELDS, request)


def do_save_sleep_night(
    client: Client,
    data: dict[str, Any],
    member: StaffMember | None,
    request: HttpRequest | None = None,
    entered: str = Entry.STAFF,
) -> SleepNight:
    """Record one diary night, from staff (``member``) or from the client's link (None)."""
    night = SleepNight(
        clinic_id=client.clinic_id, client=client, created_by=member, entered=entered
    )
    channel = "portal" if entered == Entry.PORTAL else None
    return _create(member, night, data, SLEEP_FIELDS, request, channel)


def do_create_diary_link(
    client: Client, member: StaffMember, days: int, request: HttpRequest | None = None
) -> PortalLink:
    """A private link through which the client keeps the sleep diary for ``days`` days."""
    expires = timezone.now() + dt.timedelta(days=days)
    return do_create_portal_link(client, member, Purpose.SLEEP_DIARY, [], expires, request)


def do_import_wearable(
    member: StaffMember,
    client: Client,
    rows: Sequence[WearableDay],
    request: HttpRequest | None = None,
) -> int:
    """Store already-validated wearable rows, all or none, with one audit event."""
    if not rows:
        raise ValidationError("There is nothing to import.")
    started = time.perf_counter()
    with transaction.atomic():
        bulk_create_with_history(list(rows), WearableDay, default_user=member.user)
        record(
            request,
            Action.CREATE,
            client,
            object_type="physiology.wearableday",
            object_id=client.pk,
            actor=member.user,
            detail=f"wearable import, {len(rows)} rows",
        )
    import_finished("wearable_csv", started, rows=len(rows))
    return len(rows)


def _sentence(error: Exception) -> str:
    text = str(error)
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else f"{text}."
