# No `from __future__ import annotations` here: django-ninja reads the annotations at
# run time to tell path, query and body parameters apart.
import base64
import binascii
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import paginate

from touchstone.accounts.access import MemberRequest, get_for
from touchstone.accounts.api_auth import api_requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.care.models import Visit
from touchstone.clients.access import get_client_for
from touchstone.lib.api_fields import Id
from touchstone.lib.api_times import ClinicDateTime, WallClockTime
from touchstone.lib.pagination import KeysetPagination
from touchstone.physiology import actions
from touchstone.physiology.models import Recording, Sample, SleepNight, Timing

router = Router(tags=["physiology"])


class SampleOut(Schema):
    id: int
    client_id: int
    analyte: str
    value: float
    unit: str
    canonical_value: float
    canonical_unit: str
    specimen: str
    collected_at: dt.datetime
    minutes_since_waking: int | None
    visit_id: int | None
    timing: str
    lab: str
    reference_low: float | None
    reference_high: float | None
    reference_unit: str


class SampleIn(Schema):
    analyte: str = Field("cortisol", max_length=20)
    value: float
    unit: str = Field(max_length=10, description="UCUM code, e.g. nmol/L, ug/dL (µg/dL ok)")
    specimen: str = Field("saliva", max_length=10)
    collected_at: ClinicDateTime
    minutes_since_waking: int | None = Field(None, ge=0, le=1440)
    visit_id: Id | None = None
    timing: Timing | None = None
    lab: str = Field("", max_length=120)
    reference_low: float | None = None
    reference_high: float | None = None
    reference_unit: str = Field("", max_length=10)


class RecordingOut(Schema):
    id: int
    client_id: int
    recorded_at: dt.datetime
    visit_id: int | None
    timing: str
    device: str
    source_format: str
    artifact_method: str
    n_beats: int
    duration_s: float
    mean_rr: float
    mean_hr: float
    sdnn: float
    rmssd: float
    pnn50: float
    lf: float | None
    hf: float | None
    lf_hf: float | None
    n_corrected: int


class RecordingIn(Schema):
    recorded_at: ClinicDateTime
    rr_text: str | None = Field(
        None, description="The RR file as text (plain list or Polar Sensor Logger export)."
    )
    rr_base64: str | None = Field(None, description="The same file, base64-encoded.")
    visit_id: Id | None = None
    timing: Timing | None = None
    device: str = Field("", max_length=80)


class SleepNightOut(Schema):
    id: int
    client_id: int
    night_of: dt.date
    in_bed: WallClockTime
    tried_sleep: WallClockTime
    sol_min: int
    awakenings: int
    waso_min: int
    final_wake: WallClockTime
    out_of_bed: WallClockTime
    quality: int | None
    tib_min: float
    tst_min: float
    se_pct: float
    twt_min: float
    entered: str


class SleepNightIn(Schema):
    """Times are wall-clock times of the night (an offset sent with one is ignored)."""

    night_of: dt.date
    in_bed: WallClockTime
    tried_sleep: WallClockTime
    sol_min: int = Field(ge=0, le=1440)
    awakenings: int = Field(ge=0, le=100)
    waso_min: int = Field(ge=0, le=1440)
    final_wake: WallClockTime
    out_of_bed: WallClockTime
    quality: int | None = Field(None, ge=1, le=5)


class ClientFilter(FilterSchema):
    client_id: Id | None = None


def _visit(request: MemberRequest, visit_id: int | None) -> Visit | None:
    if visit_id is None:
        return None
    try:
        return get_for(request.member, Visit.objects, pk=visit_id)
    except Http404:  # an unknown visit is a field error, not a missing resource
        raise ValidationError({"visit_id": ["No such visit."]}) from None


def _list(request: MemberRequest, model: Any, filters: ClientFilter, label: str) -> Any:
    rows = model.objects.for_member(request.member)
    if filters.client_id is None:
        record(request.actor, Action.LIST, object_type=label, detail="api list")
        return rows
    # A list of one client's rows is a read of that client's record: the event names them.
    client = get_client_for(request.member, filters.client_id)
    record(request.actor, Action.LIST, object_type=label, detail=f"client {client.pk}, api list")
    return rows.filter(client_id=client.pk)


@router.get("/samples", response=list[SampleOut], summary="List biomarker samples")
@api_requires("physiology.view")
@paginate(KeysetPagination)
def list_samples(request: MemberRequest, filters: Query[ClientFilter]) -> Any:
    return _list(request, Sample, filters, "physiology.sample")


@router.get("/samples/{sample_id}", response=SampleOut, summary="One biomarker sample")
@api_requires("physiology.view")
def get_sample(request: MemberRequest, sample_id: Id) -> Sample:
    sample = get_for(request.member, Sample.objects, pk=sample_id)
    record(request.actor, Action.READ, sample)
    return sample


@router.post(
    "/clients/{client_id}/samples",
    response={201: SampleOut},
    summary="Log a sample; the canonical value is converted exactly",
)
@api_requires("physiology.edit")
def create_sample(request: MemberRequest, client_id: Id, payload: SampleIn) -> Status:
    client = get_client_for(request.member, client_id)
    data = payload.dict(exclude={"visit_id"})
    data["timing"] = data["timing"] or ""
    data["visit"] = _visit(request, payload.visit_id)
    sample = actions.do_create_sample(request.actor, client, data)
    return Status(201, sample)


@router.get("/recordings", response=list[RecordingOut], summary="List HRV recordings")
@api_requires("physiology.view")
@paginate(KeysetPagination)
def list_recordings(request: MemberRequest, filters: Query[ClientFilter]) -> Any:
    return _list(request, Recording, filters, "physiology.recording").defer("rr_ms")


@router.get("/recordings/{recording_id}", response=RecordingOut, summary="One HRV recording")
@api_requires("physiology.view")
def get_recording(request: MemberRequest, recording_id: Id) -> Recording:
    recording = get_for(request.member, Recording.objects.defer("rr_ms"), pk=recording_id)
    record(request.actor, Action.READ, recording)
    return recording


@router.post(
    "/clients/{client_id}/recordings",
    response={201: RecordingOut},
    summary="Upload an RR file (text or base64); metrics are computed on the server",
)
@api_requires("physiology.edit")
def create_recording(request: MemberRequest, client_id: Id, payload: RecordingIn) -> Status:
    client = get_client_for(request.member, client_id)
    if (payload.rr_text is None) == (payload.rr_base64 is None):
        raise ValidationError({"rr_text": ["Send exactly one of rr_text and rr_base64."]})
    if payload.rr_text is not None:
        raw = payload.rr_text.encode("utf-8")
    else:
        try:
            raw = base64.b64decode(payload.rr_base64 or "", validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError({"rr_base64": ["This is not valid base64."]}) from None
    data = {
        "recorded_at": payload.recorded_at,
        "visit": _visit(request, payload.visit_id),
        "timing": payload.timing or "",
        "device": payload.device,
    }
    try:
        recording = actions.do_create_recording(request.actor, client, raw, data)
    except ValidationError as error:
        if hasattr(error, "error_dict") and "file" in error.error_dict:
            field = "rr_text" if payload.rr_text is not None else "rr_base64"
            raise ValidationError({field: error.message_dict["file"]}) from None
        raise
    return Status(201, recording)


@router.get("/sleep-nights", response=list[SleepNightOut], summary="List sleep-diary nights")
@api_requires("physiology.view")
@paginate(KeysetPagination)
def list_sleep_nights(request: MemberRequest, filters: Query[ClientFilter]) -> Any:
    return _list(request, SleepNight, filters, "physiology.sleepnight")


@router.get(
    "/sleep-nights/{sleep_night_id}", response=SleepNightOut, summary="One sleep-diary night"
)
@api_requires("physiology.view")
def get_sleep_night(request: MemberRequest, sleep_night_id: Id) -> SleepNight:
    night = get_for(request.member, SleepNight.objects, pk=sleep_night_id)
    record(request.actor, Action.READ, night)
    return night


@router.post(
    "/clients/{client_id}/sleep-nights",
    response={201: SleepNightOut},
    summary="Record one diary night; the sleep metrics are derived on the server",
)
@api_requires("physiology.edit")
def create_sleep_night(request: MemberRequest, client_id: Id, payload: SleepNightIn) -> Status:
    client = get_client_for(request.member, client_id)
    night = actions.do_save_sleep_night(request.actor, client, payload.dict())
    return Status(201, night)
