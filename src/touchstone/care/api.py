# No `from __future__ import annotations` here: django-ninja reads the annotations at
# run time to tell path, query and body parameters apart.

import datetime as dt
from typing import Any

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from touchstone.accounts.access import MemberRequest, get_for
from touchstone.accounts.api_auth import api_requires
from touchstone.accounts.models import StaffMember
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.care import actions
from touchstone.care.models import (
    DiagnosisSource,
    DrugClass,
    Episode,
    FrequencyUnit,
    Intake,
    Medication,
    Modality,
    Pressure,
    Visit,
    VisitAddendum,
    VisitStatus,
)
from touchstone.clients.access import get_client_for
from touchstone.lib.api_errors import ErrorOut, error_body
from touchstone.lib.api_fields import Id, omittable
from touchstone.lib.api_times import ClinicDateTime
from touchstone.lib.pagination import KeysetPagination, Shaped

router = Router(tags=["care"])

Rating = Field(None, ge=0, le=10)


class DiagnosisOut(Schema):
    code: str
    title: str
    source: DiagnosisSource
    entered_by_id: int
    entered_at: dt.datetime


class EpisodeOut(Schema):
    id: int
    client_id: int
    title: str
    started_on: dt.date
    ended_on: dt.date | None
    goals: str
    frequency_count: int | None
    frequency_unit: FrequencyUnit
    plan_intake: list[str]
    plan_each_visit: list[str]
    plan_periodic: list[str]
    plan_every_weeks: int | None
    diagnoses: list[DiagnosisOut] | None = Field(
        None, description="Present only for a role that may see diagnoses (clinician)."
    )


class EpisodeIn(Schema):
    title: str = Field(max_length=150)
    started_on: dt.date
    ended_on: dt.date | None = None
    goals: str = ""
    frequency_count: int | None = Field(None, ge=1, le=14)
    frequency_unit: FrequencyUnit = FrequencyUnit.WEEK
    plan_intake: list[str] = []
    plan_each_visit: list[str] = []
    plan_periodic: list[str] = []
    plan_every_weeks: int | None = Field(None, ge=1, le=52)


class EpisodePatch(Schema):
    """Only the fields sent change; ``null`` only where an episode may have no value (its
    end, planned frequency, weeks between periodic questionnaires), else 422."""

    title: str = omittable(max_length=150)
    started_on: dt.date = omittable()
    ended_on: dt.date | None = None
    goals: str = omittable()
    frequency_count: int | None = Field(None, ge=1, le=14)
    frequency_unit: FrequencyUnit = omittable()
    plan_intake: list[str] = omittable()
    plan_each_visit: list[str] = omittable()
    plan_periodic: list[str] = omittable()
    plan_every_weeks: int | None = Field(None, ge=1, le=52)


class DiagnosisIn(Schema):
    code: str = Field(max_length=8)
    source: DiagnosisSource


class AddendumOut(Schema):
    id: int
    text: str
    signed_by_id: int
    signed_at: dt.datetime


class AddendumIn(Schema):
    text: str = Field(min_length=1)


class VisitOut(Schema):
    id: int
    client_id: int
    episode_id: int | None
    therapist_id: int
    starts_at: dt.datetime
    duration_min: int
    status: VisitStatus
    modality: Modality
    modality_other: str
    pressure: str
    body_map: dict[str, int]
    subjective: str
    objective: str
    assessment: str
    plan: str
    tension_before: int | None
    tension_after: int | None
    anxiety_before: int | None
    anxiety_after: int | None
    mood_before: int | None
    mood_after: int | None
    pain_before: int | None
    pain_after: int | None
    relaxation_before: int | None
    relaxation_after: int | None
    heart_rate_before: int | None
    heart_rate_after: int | None
    systolic_before: int | None
    diastolic_before: int | None
    systolic_after: int | None
    diastolic_after: int | None
    clearance_id: int | None
    clearance_override: str
    signed_at: dt.datetime | None = Field(description="When the note was signed (then locked).")
    signed_by_id: int | None
    addenda: list[AddendumOut]

    @staticmethod
    def resolve_addenda(obj: Visit) -> list[VisitAddendum]:
        return list(obj.addenda.all())


class VisitIn(Schema):
    episode_id: Id | None = None
    therapist_id: Id | None = Field(None, description="Defaults to the caller.")
    starts_at: ClinicDateTime
    duration_min: int = Field(60, ge=1, le=240)
    status: VisitStatus = VisitStatus.SCHEDULED
    modality: Modality = Modality.SWEDISH
    modality_other: str = Field("", max_length=100)
    pressure: Pressure | None = None
    body_map: dict[str, int] = {}
    subjective: str = ""
    objective: str = ""
    assessment: str = ""
    plan: str = ""
    tension_before: int | None = Rating
    tension_after: int | None = Rating
    anxiety_before: int | None = Rating
    anxiety_after: int | None = Rating
    mood_before: int | None = Rating
    mood_after: int | None = Rating
    pain_before: int | None = Rating
    pain_after: int | None = Rating
    relaxation_before: int | None = Rating
    relaxation_after: int | None = Rating
    heart_rate_before: int | None = Field(None, ge=25, le=250)
    heart_rate_after: int | None = Field(None, ge=25, le=250)
    systolic_before: int | None = Field(None, ge=60, le=260)
    diastolic_before: int | None = Field(None, ge=30, le=160)
    systolic_after: int | None = Field(None, ge=60, le=260)
    diastolic_after: int | None = Field(None, ge=30, le=160)
    clearance_override: str = Field(
        "",
        description="Required to complete a visit of a client whose screen needs medical "
        "clearance when no clearance is recorded.",
    )


class VisitPatch(Schema):
    """Only the fields sent change; ``null`` only for a rating (not rated), else 422."""

    status: VisitStatus = omittable()
    starts_at: ClinicDateTime = omittable()
    duration_min: int = omittable(ge=1, le=240)
    body_map: dict[str, int] = omittable()
    subjective: str = omittable()
    objective: str = omittable()
    assessment: str = omittable()
    plan: str = omittable()
    tension_after: int | None = Rating
    anxiety_after: int | None = Rating
    mood_after: int | None = Rating
    pain_after: int | None = Rating
    relaxation_after: int | None = Rating
    clearance_override: str = omittable()


class IntakeOut(Schema):
    client_id: int
    presenting_concerns: str
    prescriber_name: str
    prescriber_contact: str
    therapist_name: str
    therapist_contact: str
    referrer_name: str
    referrer_npi: str
    referrer_contact: str
    ed_visits_6m: int | None
    primary_care_visits_6m: int | None


class MedicationOut(Schema):
    id: int
    name: str
    drug_class: DrugClass
    is_psychotropic: bool
    dose: str
    started_on: dt.date | None
    stopped_on: dt.date | None


def _episode_out(request: MemberRequest, episode: Episode) -> dict[str, Any]:
    out = EpisodeOut.from_orm(episode).dict()
    if request.member.can("diagnoses.view"):
        out["diagnoses"] = [
            DiagnosisOut.from_orm(d).dict() | {"title": d.title} for d in episode.diagnoses.all()
        ]
    else:
        out["diagnoses"] = None
    return out


def _visit_data(request: MemberRequest, payload: Any, *, unset: bool) -> dict[str, Any]:
    data = payload.dict(exclude_unset=unset)
    if "episode_id" in data:
        episode_id = data.pop("episode_id")
        data["episode"] = (
            get_for(request.member, Episode.objects, pk=episode_id) if episode_id else None
        )
    if "therapist_id" in data:
        therapist_id = data.pop("therapist_id")
        if therapist_id is not None:
            data["therapist"] = get_for(request.member, StaffMember.objects, pk=therapist_id)
    if "pressure" in data:
        data["pressure"] = data["pressure"] or ""
    return data


@router.get(
    "/clients/{client_id}/episodes", response=list[EpisodeOut], summary="A client's episodes"
)
@api_requires("care.view")
@paginate(KeysetPagination)
def list_episodes(request: MemberRequest, client_id: Id) -> Any:
    client = get_client_for(request.member, client_id)
    record(request.actor, Action.LIST, object_type="care.episode", detail=f"client {client.pk}")
    episodes = (
        Episode.objects.for_member(request.member)
        .filter(client_id=client.pk)
        .prefetch_related("diagnoses")
    )
    return Shaped(episodes, lambda e: _episode_out(request, e))


@router.post("/clients/{client_id}/episodes", response={201: EpisodeOut}, summary="Open an episode")
@api_requires("care.edit")
def create_episode(request: MemberRequest, client_id: Id, payload: EpisodeIn) -> Status:
    client = get_client_for(request.member, client_id)
    episode = actions.do_create_episode(request.actor, client, payload.dict())
    return Status(201, _episode_out(request, episode))


@router.get("/episodes/{episode_id}", response=EpisodeOut, summary="Get one episode")
@api_requires("care.view")
def get_episode(request: MemberRequest, episode_id: Id) -> Any:
    episode = get_for(request.member, Episode.objects, pk=episode_id)
    record(request.actor, Action.READ, episode)
    return _episode_out(request, episode)


@router.patch("/episodes/{episode_id}", response=EpisodeOut, summary="Change an episode")
@api_requires("care.edit")
def update_episode(request: MemberRequest, episode_id: Id, payload: EpisodePatch) -> Any:
    episode = get_for(request.member, Episode.objects, pk=episode_id)
    actions.do_update_episode(request.actor, episode, payload.dict(exclude_unset=True))
    return _episode_out(request, episode)


@router.post(
    "/episodes/{episode_id}/diagnoses", response={201: EpisodeOut}, summary="Add a diagnosis"
)
@api_requires("diagnoses.edit")
def add_diagnosis(request: MemberRequest, episode_id: Id, payload: DiagnosisIn) -> Status:
    episode = get_for(request.member, Episode.objects, pk=episode_id)
    actions.do_add_diagnosis(request.actor, episode, payload.dict())
    return Status(201, _episode_out(request, episode))


@router.get("/clients/{client_id}/visits", response=list[VisitOut], summary="A client's visits")
@api_requires("care.view")
@paginate(KeysetPagination)
def list_visits(request: MemberRequest, client_id: Id) -> Any:
    client = get_client_for(request.member, client_id)
    record(request.actor, Action.LIST, object_type="care.visit", detail=f"client {client.pk}, api")
    return (
        Visit.objects.for_member(request.member)
        .filter(client_id=client.pk)
        .prefetch_related("addenda")
    )


@router.post("/clients/{client_id}/visits", response={201: VisitOut}, summary="Record a visit")
@api_requires("care.edit")
def create_visit(request: MemberRequest, client_id: Id, payload: VisitIn) -> Status:
    client = get_client_for(request.member, client_id)
    data = _visit_data(request, payload, unset=False)
    return Status(201, actions.do_create_visit(request.actor, client, data))


@router.get("/visits/{visit_id}", response=VisitOut, summary="Get one visit")
@api_requires("care.view")
def get_visit(request: MemberRequest, visit_id: Id) -> Visit:
    visit = get_for(request.member, Visit.objects, pk=visit_id)
    record(request.actor, Action.READ, visit)
    return visit


@router.patch(
    "/visits/{visit_id}",
    response={200: VisitOut, 409: ErrorOut},
    summary="Change a visit",
    description="A signed note is locked: the answer is 409 `visit_signed` (add an addendum).",
)
@api_requires("care.edit")
def update_visit(request: MemberRequest, visit_id: Id, payload: VisitPatch) -> Any:
    visit = get_for(request.member, Visit.objects, pk=visit_id)
    try:
        actions.do_update_visit(request.actor, visit, _visit_data(request, payload, unset=True))
    except actions.VisitLocked as error:
        return Status(409, error_body("visit_signed", error.messages[0]))
    return visit


@router.post(
    "/visits/{visit_id}/sign",
    response={200: VisitOut, 409: ErrorOut},
    summary="Sign a completed visit's note (it is then locked)",
)
@api_requires("care.edit")
def sign_visit(request: MemberRequest, visit_id: Id) -> Any:
    visit = get_for(request.member, Visit.objects, pk=visit_id)
    try:
        return actions.do_sign_visit(request.actor, visit)
    except actions.VisitLocked as error:
        return Status(409, error_body("visit_signed", error.messages[0]))


@router.post(
    "/visits/{visit_id}/addenda",
    response={201: AddendumOut},
    summary="Add a dated addendum, signed by the caller, to a signed note",
)
@api_requires("care.edit")
def add_addendum(request: MemberRequest, visit_id: Id, payload: AddendumIn) -> Status:
    visit = get_for(request.member, Visit.objects, pk=visit_id)
    return Status(201, actions.do_add_addendum(request.actor, visit, payload.dict()))


@router.get("/clients/{client_id}/intake", response=IntakeOut, summary="A client's intake")
@api_requires("care.view")
def get_intake(request: MemberRequest, client_id: Id) -> Intake:
    client = get_client_for(request.member, client_id)
    intake = get_for(request.member, Intake.objects, client_id=client.pk)
    record(request.actor, Action.READ, intake)
    return intake


@router.get("/clients/{client_id}/medications", response=list[MedicationOut], summary="Medications")
@api_requires("care.view")
@paginate(KeysetPagination)
def list_medications(request: MemberRequest, client_id: Id) -> Any:
    client = get_client_for(request.member, client_id)
    record(request.actor, Action.LIST, object_type="care.medication", detail=f"client {client.pk}")
    return Medication.objects.for_member(request.member).filter(client_id=client.pk)
