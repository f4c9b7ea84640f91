# No `from __future__ import annotations` here: django-ninja reads the annotations at
# run time to tell path, query and body parameters apart.
"""Appointments, services, rooms and availability through the API (issue 13 §6). Writes go
through ``scheduling.actions`` like the calendar's, so the conflict rule is the same: a taken
time is 409 with the usual error shape, naming the appointment in the way."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from touchstone.accounts.access import MemberRequest
from touchstone.accounts.api_auth import api_requires
from touchstone.accounts.models import StaffMember
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.models import Client
from touchstone.lib.api_errors import ApiConflict
from touchstone.lib.api_fields import Id, omittable
from touchstone.lib.api_times import ClinicDateTime
from touchstone.lib.pagination import KeysetPagination, instant_position
from touchstone.scheduling import actions, rules
from touchstone.scheduling.access import get_appointment_for
from touchstone.scheduling.availability import working_blocks
from touchstone.scheduling.models import Room, Service
from touchstone.scheduling.models import Status as AppointmentStatus
from touchstone.scheduling.selectors import appointments_between
from touchstone.scheduling.slots import bookable_staff

router = Router(tags=["scheduling"])

#: The longest span one GET /appointments reads (a month and a bit).
MAX_SPAN = dt.timedelta(days=62)


class AppointmentOut(Schema):
    id: int
    client_id: int
    staff_id: int
    service_id: int
    location_id: int | None
    room_id: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: AppointmentStatus
    booked_at: dt.datetime
    confirmed_at: dt.datetime | None
    arrived_at: dt.datetime | None
    completed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    no_show_at: dt.datetime | None
    front_desk_note: str
    outside_hours: bool
    override_reason: str
    series_id: int | None
    visit_id: int | None
    channel: str


class AppointmentIn(Schema):
    client_id: Id
    staff_id: Id
    service_id: Id
    starts_at: ClinicDateTime
    ends_at: ClinicDateTime | None = Field(None, description="Default: start + the service's.")
    room_id: Id | None = None
    front_desk_note: str = ""
    override_reason: str = Field(
        "", max_length=200, description="Needed to book outside the staff member's hours."
    )


class AppointmentPatch(Schema):
    # Left out: unchanged; null is refused (lib/api_fields.omittable), except for the room,
    # which null clears.
    starts_at: ClinicDateTime = omittable()
    ends_at: ClinicDateTime = omittable()
    staff_id: Id = omittable()
    room_id: Id | None = None
    service_id: Id = omittable()
    front_desk_note: str = omittable()
    override_reason: str = Field("", max_length=200)
    status: AppointmentStatus = omittable(
        description="confirmed, arrived (check-in), completed, cancelled, no_show."
    )
    by_client: bool = False
    reason: str = Field("", max_length=200)


class AppointmentsQuery(Schema):
    start: ClinicDateTime | None = Field(None, description="Default: today's start.")
    end: ClinicDateTime | None = Field(None, description="Default: a day after start.")
    staff: Id | None = None


class ServiceOut(Schema):
    id: int
    name: str
    duration_min: int
    modality: str
    billing_code: str
    description: str
    bookable_online: bool
    is_active: bool


class RoomOut(Schema):
    id: int
    location_id: int
    name: str
    is_active: bool


class BlockOut(Schema):
    staff_id: int
    location_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    bookable_online: bool


class AvailabilityQuery(Schema):
    start: dt.date | None = Field(None, description="Default: today.")
    end: dt.date | None = Field(None, description="Default: six days after start.")
    staff: int | None = None


def _one(member: StaffMember, model: Any, pk: int | None, name: str) -> Any:
    """The clinic's row ``pk`` of ``model`` for a body field, or a 422 naming the field."""
    if pk is None:
        return None
    row = model.objects.filter(clinic_id=member.clinic_id, pk=pk).first()
    if row is None:
        raise ValidationError({name: ["Not found in this clinic."]})
    return row


def _conflict(error: rules.AppointmentConflict) -> ApiConflict:
    return ApiConflict(
        error.messages[0],
        fields=error.message_dict,
        conflicting=[a.pk for a in error.conflicts],
    )


@router.get("/appointments", response=list[AppointmentOut])
@api_requires("schedule.view")
@paginate(KeysetPagination, ordering=("starts_at", "id"), position=instant_position)
def list_appointments(request: MemberRequest, query: Query[AppointmentsQuery]) -> Any:
    start = query.start or timezone.make_aware(
        dt.datetime.combine(timezone.localdate(), dt.time.min)
    )
    end = query.end or start + dt.timedelta(days=1)
    if end <= start or end - start > MAX_SPAN:
        raise ValidationError({"end": ["end must be after start, at most 62 days later."]})
    rows = appointments_between(request.member.clinic, start, end, staff_id=query.staff)
    record(request.actor, Action.LIST, object_type="scheduling.appointment", detail="api")
    return rows


@router.post("/appointments", response={201: AppointmentOut})
@api_requires("schedule.book")
def create_appointment(request: MemberRequest, payload: AppointmentIn) -> Any:
    member = request.member
    data = {
        "client": _one(member, Client, payload.client_id, "client_id"),
        "staff": _one(member, StaffMember, payload.staff_id, "staff_id"),
        "service": _one(member, Service, payload.service_id, "service_id"),
        "room": _one(member, Room, payload.room_id, "room_id"),
        "starts_at": payload.starts_at,
        "ends_at": payload.ends_at,
        "front_desk_note": payload.front_desk_note,
    }
    try:
        appointment = actions.do_book_appointment(
            request.actor, data, override_reason=payload.override_reason
        )
    except rules.AppointmentConflict as error:
        raise _conflict(error) from None
    return Status(201, appointment)


@router.get("/appointments/{appointment_id}", response=AppointmentOut)
@api_requires("schedule.view")
def get_appointment(request: MemberRequest, appointment_id: Id) -> Any:
    appointment = get_appointment_for(request.member, appointment_id)
    record(request.actor, Action.READ, appointment, detail="api")
    return appointment


@router.patch("/appointments/{appointment_id}", response=AppointmentOut)
@api_requires("schedule.book")
def update_appointment(
    request: MemberRequest, appointment_id: Id, payload: AppointmentPatch
) -> Any:
    """Move (starts_at, ends_at, staff_id, room_id, service_id), change the front-desk note,
    or change the status (one or the other per request)."""
    member = request.member
    appointment = get_appointment_for(member, appointment_id)
    sent = payload.dict(exclude_unset=True)
    if payload.status is not None:
        if set(sent) - {"status", "by_client", "reason"}:
            raise ValidationError({"status": ["Change the status on its own, not with a move."]})
        if payload.status == AppointmentStatus.CANCELLED:
            actions.do_cancel_appointment(
                request.actor, appointment, by_client=payload.by_client, reason=payload.reason
            )
        else:
            actions.do_set_status(request.actor, appointment, payload.status)
        return appointment
    data: dict[str, Any] = {}
    for name, model in (("staff", StaffMember), ("room", Room), ("service", Service)):
        if f"{name}_id" in sent:
            data[name] = _one(member, model, sent[f"{name}_id"], f"{name}_id")
    for name in ("starts_at", "ends_at", "front_desk_note"):
        if sent.get(name) is not None:
            data[name] = sent[name]
    try:
        actions.do_move_appointment(
            request.actor, appointment, data, override_reason=payload.override_reason
        )
    except rules.AppointmentConflict as error:
        raise _conflict(error) from None
    return appointment


@router.get("/services", response=list[ServiceOut])
@api_requires("schedule.view")
@paginate(KeysetPagination)
def list_services(request: MemberRequest) -> Any:
    record(request.actor, Action.LIST, object_type="scheduling.service", detail="api")
    return Service.objects.for_member(request.member)


@router.get("/rooms", response=list[RoomOut])
@api_requires("schedule.view")
@paginate(KeysetPagination)
def list_rooms(request: MemberRequest) -> Any:
    record(request.actor, Action.LIST, object_type="scheduling.room", detail="api")
    return Room.objects.for_member(request.member)


@router.get("/availability", response=list[BlockOut])
@api_requires("schedule.view")
def availability(request: MemberRequest, query: Query[AvailabilityQuery]) -> Any:
    """Working hours (breaks and time off taken out) of the staff who treat, from ``start``
    to ``end`` (local dates, at most 62 days)."""
    first = query.start or timezone.localdate()
    last = query.end or first + dt.timedelta(days=6)
    if last < first or (last - first).days > 62:
        raise ValidationError({"end": ["end must not be before start, at most 62 days later."]})
    clinic = request.member.clinic
    staff = [m.pk for m in bookable_staff(clinic) if query.staff in (None, m.pk)]
    blocks = working_blocks(clinic, staff, first, last)
    record(request.actor, Action.LIST, object_type="scheduling.weeklyhours", detail="api")
    return [
        {
            "staff_id": b.staff_id,
            "location_id": b.location_id,
            "starts_at": b.start,
            "ends_at": b.end,
            "bookable_online": b.bookable_online,
        }
        for staff_id in staff
        for b in blocks[staff_id]
    ]
