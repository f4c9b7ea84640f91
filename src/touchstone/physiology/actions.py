"""Every write of body measures goes through these functions: validated with the model's
``full_clean()`` (which runs the science core) and written in one transaction with its
version and its audit event — identifiers only, never values — by ``audit.writes``."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from touchstone.audit import writes
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.models import Client
from touchstone.logs import import_finished, line_of, upload_refused
from touchstone.physiology.models import (
    SLEEP_FIELDS,
    UPLOAD_LIFETIME,
    Entry,
    Recording,
    Sample,
    SleepNight,
    WearableDay,
    WearableUpload,
)
from touchstone.portal.actions import do_create_portal_link, do_use_portal_link
from touchstone.portal.models import PortalLink, Purpose
from touchstone.science.physiology import PhysiologyError, units
from touchstone.science.physiology import hrv as hrv_core

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


def do_create_sample(actor: Actor, client: Client, data: dict[str, Any]) -> Sample:
    """Log a biomarker sample; the canonical value is computed in ``Sample.clean``."""
    sample = Sample(clinic_id=client.clinic_id, client=client, created_by=actor.staff)
    data = dict(data)
    for name in ("unit", "reference_unit"):
        if data.get(name):
            # "µg/dL" → "ug/dL" before the choices are checked; an unknown unit is left as
            # given for the field's choices to reject with their own message.
            with contextlib.suppress(PhysiologyError):
                data[name] = units.normalise_unit(data[name])
    return writes.create(actor, sample, data, fields=SAMPLE_FIELDS)


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
    actor: Actor, client: Client, raw: bytes, data: dict[str, Any]
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
        created_by=actor.staff,
        source_format=parsed.format,
        rr_ms=[round(float(x), 3) for x in parsed.rr_ms],
    )
    recording.set_metrics(metrics)
    return writes.create(actor, recording, data, fields=RECORDING_FIELDS)


def do_save_sleep_night(actor: Actor, client: Client, data: dict[str, Any]) -> SleepNight:
    """Record one diary night: entered by staff, by the client's private link (the portal) or
    through the API, as the actor's channel says."""
    entered = {"portal": Entry.PORTAL, "api": Entry.API}.get(actor.channel, Entry.STAFF)
    night = SleepNight(
        clinic_id=client.clinic_id, client=client, created_by=actor.member, entered=entered
    )
    return writes.create(actor, night, data, fields=SLEEP_FIELDS)


def do_save_diary_night(actor: Actor, link: PortalLink, data: dict[str, Any]) -> SleepNight:
    """The client's night, submitted through their diary link: saved, and the link's first
    submission recorded in the same transaction (the plan's delivery of that diary then
    counts as completed and gets no reminder; portal/delivery.py)."""
    with transaction.atomic():
        night = do_save_sleep_night(actor, link.client, data)
        if link.used_at is None:
            do_use_portal_link(actor, link)
    return night


def do_create_diary_link(actor: Actor, client: Client, days: int) -> PortalLink:
    """A private link through which the client keeps the sleep diary for ``days`` days."""
    expires = timezone.now() + dt.timedelta(days=days)
    return do_create_portal_link(actor, client, Purpose.SLEEP_DIARY, [], expires)


def do_store_wearable_upload(
    actor: Actor, client: Client, kind: str, source: str, text: str
) -> WearableUpload:
    """Keep an uploaded export server-side until its mapping is confirmed: for this staff
    member only, for ``UPLOAD_LIFETIME``. Their earlier pending upload for the client goes."""
    now = timezone.now()
    with transaction.atomic():
        WearableUpload.objects.filter(client=client, uploaded_by=actor.staff).delete()
        upload = WearableUpload.objects.create(
            clinic=client.clinic,
            client=client,
            uploaded_by=actor.staff,
            kind=kind,
            source=source,
            text=text,
            created_at=now,
            expires_at=now + UPLOAD_LIFETIME,
        )
        record(actor, Action.CREATE, upload, detail=f"wearable export, {len(text)} characters")
    return upload


def delete_expired_wearable_uploads(now: dt.datetime) -> int:
    """``touchstone cleanup``'s step (operations/cleanup.py): uploads never confirmed."""
    return WearableUpload.objects.expired(now).delete()[0]


def do_import_wearable(
    actor: Actor,
    client: Client,
    rows: Sequence[WearableDay],
    upload: WearableUpload | None = None,
) -> int:
    """Store already-validated wearable rows, all or none, with one audit event; the upload
    they came from goes in the same transaction."""
    if not rows:
        raise ValidationError("There is nothing to import.")
    started = time.perf_counter()
    with transaction.atomic():
        if upload is not None:
            upload.delete()
        writes.bulk_create(actor, WearableDay, rows)
        record(
            actor,
            Action.CREATE,
            client,
            object_type="physiology.wearableday",
            object_id=client.pk,
            detail=f"wearable import, {len(rows)} rows",
        )
    import_finished("wearable_csv", started, rows=len(rows))
    return len(rows)


def _sentence(error: Exception) -> str:
    text = str(error)
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else f"{text}."
