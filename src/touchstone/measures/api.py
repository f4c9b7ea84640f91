# No `from __future__ import annotations` here: django-ninja reads the annotations at
# run time to tell path, query and body parameters apart.
import datetime as dt
from typing import Any

from django.db import transaction
from ninja import Field, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import paginate

from touchstone.accounts.access import MemberRequest
from touchstone.accounts.api_auth import api_requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.access import get_client_for
from touchstone.lib.api_fields import Id
from touchstone.lib.pagination import KeysetPagination
from touchstone.measures import actions
from touchstone.measures.access import get_administration_for, get_alert_for
from touchstone.measures.models import Administration, Mode, RiskAlert

router = Router(tags=["questionnaires"])


class AdministrationReceipt(Schema):
    """What a role that gives questionnaires but reads no scores (front desk) gets back."""

    id: int
    client_id: int
    instrument_id: str
    mode: str
    status: str
    started_at: dt.datetime
    completed_at: dt.datetime | None


class AdministrationOut(Schema):
    id: int
    client_id: int
    instrument_id: str
    mode: str
    status: str
    answers: dict[str, int]
    total: int | None
    severity: str
    computable: bool
    reason: str
    risk_flags: list[str]
    language: str
    started_at: dt.datetime
    completed_at: dt.datetime | None


class AdministrationIn(Schema):
    instrument_id: str = Field(max_length=40)
    answers: dict[str, int | str | None] = Field(
        description="linkId or LOINC item code → response value or LOINC answer code"
    )
    complete: bool = True
    language: str | None = Field(
        None,
        max_length=20,
        description="The language (BCP 47) the client answered in; recorded when the "
        "instrument has an official translation in it, else its own language is.",
    )


class AdministrationFilter(FilterSchema):
    client_id: Id | None = None
    instrument_id: str | None = Field(None, max_length=40)


class AlertSummary(Schema):
    """What every care-team role may know: that an alert is open and who handles it."""

    id: int
    client_id: int
    raised_at: dt.datetime
    is_open: bool
    handled_by: str | None

    @staticmethod
    def resolve_handled_by(alert: RiskAlert) -> str | None:
        return alert.assigned_to.display_name if alert.assigned_to else None


class AlertOut(AlertSummary):
    administration_id: int
    reason: str
    item: str
    action_taken: str
    closed_at: dt.datetime | None


class CloseIn(Schema):
    action_taken: str = Field(min_length=1, max_length=4000)


@router.get(
    "/administrations",
    response=list[AdministrationOut],
    summary="List questionnaire administrations",
)
@api_requires("measures.view")
@paginate(KeysetPagination)
def list_administrations(request: MemberRequest, filters: Query[AdministrationFilter]) -> Any:
    rows = Administration.objects.for_member(request.member)
    detail = "api list"
    if filters.client_id is not None:
        # One client's administrations: the event names the client (404 for another clinic's).
        client = get_client_for(request.member, filters.client_id)
        rows = rows.filter(client_id=client.pk)
        detail = f"client {client.pk}, api list"
    if filters.instrument_id:
        rows = rows.filter(instrument_id=filters.instrument_id)
    record(request.actor, Action.LIST, object_type="measures.administration", detail=detail)
    return rows


@router.get(
    "/administrations/{administration_id}",
    response=AdministrationOut,
    summary="Get one administration with its score",
)
@api_requires("measures.view")
def get_administration(request: MemberRequest, administration_id: Id) -> Administration:
    administration = get_administration_for(request.member, administration_id)
    record(request.actor, Action.READ, administration)
    return administration


@router.post(
    "/clients/{client_id}/administrations",
    response={201: AdministrationOut | AdministrationReceipt},
    summary="Record answers; they are scored and risk alerts raised as in the clinic",
    description="The answer carries the score, severity and risk flags only for roles that "
    "may read scores (`measures.view`); front desk gets a receipt without them.",
)
@api_requires("measures.give")
def create_administration(
    request: MemberRequest, client_id: Id, payload: AdministrationIn
) -> Status:
    client = get_client_for(request.member, client_id)
    with transaction.atomic():
        administration = actions.do_start_administration(
            request.actor, client, payload.instrument_id, Mode.API, payload.language
        )
        actions.do_save_answers(
            request.actor, administration, payload.answers, complete=payload.complete
        )
    if request.member.can("measures.view"):
        return Status(201, AdministrationOut.from_orm(administration))
    return Status(201, AdministrationReceipt.from_orm(administration))


@router.get("/alerts", response=list[AlertSummary], summary="Open risk alerts")
@api_requires("alerts.view")
def list_alerts(request: MemberRequest) -> Any:
    record(request.actor, Action.LIST, object_type="measures.riskalert", detail="api open alerts")
    return RiskAlert.objects.for_member(request.member).open().select_related("assigned_to__user")


@router.get("/alerts/{alert_id}", response=AlertOut, summary="One alert, with its reason")
@api_requires("alerts.handle")
def get_alert(request: MemberRequest, alert_id: Id) -> RiskAlert:
    alert = get_alert_for(request.member, alert_id)
    record(request.actor, Action.READ, alert)
    return alert


@router.post(
    "/alerts/{alert_id}/close",
    response=AlertOut,
    summary="Record the action taken and close the alert",
)
@api_requires("alerts.handle")
def close_alert(request: MemberRequest, alert_id: Id, payload: CloseIn) -> RiskAlert:
    alert = get_alert_for(request.member, alert_id)
    actions.do_close_alert(request.actor, alert, payload.action_taken)
    return alert
