# No `from __future__ import annotations` here: django-ninja reads the annotations at
# run time to tell path, query and body parameters apart.

import datetime as dt
from typing import Any, Literal

from ninja import Field, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import field_validator

from touchstone.accounts.access import MemberRequest
from touchstone.accounts.api_auth import api_requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients import actions
from touchstone.clients.access import get_client_for
from touchstone.clients.models import Client, language_codes
from touchstone.lib.api_fields import Id, omittable
from touchstone.lib.pagination import KeysetPagination

router = Router(tags=["clients"])

# Value sets of the fields the measures need ("" = not recorded): clients/models.py.
Sex = Literal["", "female", "male", "other", "unknown"]
Gender = Literal["", "female", "male", "non-binary", "other", "asked-declined", "unknown"]
PronounsCode = Literal["", "he", "she", "they", "other"]
Pregnancy = Literal["", "not_pregnant", "pregnant", "postpartum", "unknown"]
Menopause = Literal["", "pre", "peri", "post", "unknown"]
#: The client's language (BCP 47): one of settings.LANGUAGES (clients/models.py); an unknown
#: code is a 422, like any value outside a value set.
LANGUAGE_HELP = f"The client's language (BCP 47): {', '.join(language_codes())}."


def _known_language(value: str) -> str:
    if value not in language_codes():
        raise ValueError(f"unknown language {value!r}; one of: {', '.join(language_codes())}")
    return value


class ClientOut(Schema):
    id: int
    given_name: str
    family_name: str
    preferred_name: str
    date_of_birth: dt.date
    email: str
    phone: str
    address: str
    city: str
    postal_code: str
    emergency_contact_name: str
    emergency_contact_phone: str
    emergency_contact_relation: str
    consent_to_treatment: bool
    consent_to_treatment_on: dt.date | None
    research_consent: bool
    research_consent_on: dt.date | None
    sex_at_birth: str
    gender_identity: str
    gender_identity_other: str
    pronouns: str
    pronouns_other: str
    pregnancy_status: str
    delivery_date: dt.date | None
    menopause_status: str
    message_channel: str
    messages_opt_out: bool
    preferred_language: str
    archived_at: dt.datetime | None
    created_at: dt.datetime


class ClientIn(Schema):
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    preferred_name: str = Field("", max_length=100)
    date_of_birth: dt.date
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)
    address: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    postal_code: str = Field("", max_length=12)
    emergency_contact_name: str = Field("", max_length=150)
    emergency_contact_phone: str = Field("", max_length=30)
    emergency_contact_relation: str = Field("", max_length=60)
    consent_to_treatment: bool = False
    consent_to_treatment_on: dt.date | None = None
    research_consent: bool = False
    research_consent_on: dt.date | None = None
    sex_at_birth: Sex = ""
    gender_identity: Gender = ""
    gender_identity_other: str = Field("", max_length=60)
    pronouns: PronounsCode = ""
    pronouns_other: str = Field("", max_length=40)
    pregnancy_status: Pregnancy = ""
    delivery_date: dt.date | None = None
    menopause_status: Menopause = ""
    message_channel: Literal["email", "sms"] = "email"
    messages_opt_out: bool = False
    preferred_language: str = Field("en", max_length=8, description=LANGUAGE_HELP)

    _language = field_validator("preferred_language")(_known_language)


class ClientPatch(Schema):
    """Only the fields sent change. ``null`` is refused (422) for a field the record cannot
    leave empty: send ``""`` to clear a text field; only the consent dates take ``null``."""

    given_name: str = omittable(max_length=100)
    family_name: str = omittable(max_length=100)
    preferred_name: str = omittable(max_length=100)
    date_of_birth: dt.date = omittable()
    email: str = omittable(max_length=254)
    phone: str = omittable(max_length=30)
    address: str = omittable(max_length=200)
    city: str = omittable(max_length=100)
    postal_code: str = omittable(max_length=12)
    emergency_contact_name: str = omittable(max_length=150)
    emergency_contact_phone: str = omittable(max_length=30)
    emergency_contact_relation: str = omittable(max_length=60)
    consent_to_treatment: bool = omittable()
    consent_to_treatment_on: dt.date | None = None
    research_consent: bool = omittable()
    research_consent_on: dt.date | None = None
    # "" is "not recorded"; null is refused (the columns are not nullable).
    sex_at_birth: Sex = omittable()
    gender_identity: Gender = omittable()
    gender_identity_other: str = omittable(max_length=60)
    pronouns: PronounsCode = omittable()
    pronouns_other: str = omittable(max_length=40)
    pregnancy_status: Pregnancy = omittable()
    delivery_date: dt.date | None = None
    menopause_status: Menopause = omittable()
    message_channel: Literal["email", "sms"] = omittable()
    messages_opt_out: bool = omittable()
    preferred_language: str = omittable(max_length=8, description=LANGUAGE_HELP)

    _language = field_validator("preferred_language")(_known_language)


class ClientFilter(FilterSchema):
    q: str | None = Field(None, max_length=100, description="Words to find in name, e-mail, phone")
    archived: bool = False


@router.get("/", response=list[ClientOut], summary="List clients")
@api_requires("clients.view")
@paginate(KeysetPagination)
def list_clients(request: MemberRequest, filters: Query[ClientFilter]) -> Any:
    clients = Client.objects.for_member(request.member)
    clients = clients.archived() if filters.archived else clients.active()
    if filters.q:
        clients = clients.search(filters.q)
    record(request.actor, Action.LIST, object_type="clients.client", detail="api list")
    return clients


@router.get("/{client_id}", response=ClientOut, summary="Get one client")
@api_requires("clients.view")
def get_client(request: MemberRequest, client_id: Id) -> Client:
    client = get_client_for(request.member, client_id)
    record(request.actor, Action.READ, client)
    return client


@router.post("/", response={201: ClientOut}, summary="Create a client")
@api_requires("clients.edit")
def create_client(request: MemberRequest, payload: ClientIn) -> Status:
    return Status(201, actions.do_create_client(request.actor, payload.dict()))


@router.patch("/{client_id}", response=ClientOut, summary="Change a client's details")
@api_requires("clients.edit")
def update_client(request: MemberRequest, client_id: Id, payload: ClientPatch) -> Client:
    client = get_client_for(request.member, client_id)
    actions.do_update_client(request.actor, client, payload.dict(exclude_unset=True))
    return client


@router.post("/{client_id}/archive", response=ClientOut, summary="Archive a client")
@api_requires("clients.archive")
def archive_client(request: MemberRequest, client_id: Id) -> Client:
    client = get_client_for(request.member, client_id)
    actions.do_archive_client(request.actor, client)
    return client
