# No `from __future__ import annotations` here: django-ninja reads the annotations at
# run time to tell path, query and body parameters apart.
from typing import Any

from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import ConfigDict, Field

from touchstone.accounts.access import MemberRequest
from touchstone.accounts.api_auth import api_requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.access import get_client_for
from touchstone.interop.fhir_export import client_bundle
from touchstone.interop.fhir_import import FhirImportError, do_import_fhir
from touchstone.lib import json_limits
from touchstone.lib.api_fields import Id

router = Router(tags=["interoperability"])


class FhirResourceIn(Schema):
    """A FHIR R4 QuestionnaireResponse or Bundle, as JSON."""

    model_config = ConfigDict(extra="allow")
    resourceType: str = Field(max_length=40)


class ImportedOut(Schema):
    administration_id: int
    instrument_id: str
    total: int | None
    alerts: int


@router.get(
    "/clients/{client_id}/fhir",
    summary="The client's record as a FHIR R4 Bundle (validated)",
)
@api_requires("interop.fhir")
def export_fhir(request: MemberRequest, client_id: Id) -> dict[str, Any]:
    client = get_client_for(request.member, client_id)
    bundle = client_bundle(
        request.member.clinic, client, with_diagnoses=request.member.can("diagnoses.view")
    )
    record(
        request.actor, Action.EXPORT, client, detail=f"fhir bundle, {len(bundle['entry'])} entries"
    )
    return bundle


@router.post(
    "/clients/{client_id}/fhir",
    response={201: list[ImportedOut]},
    summary="Import QuestionnaireResponses (scored, risk alerts raised); all or nothing",
)
@api_requires("interop.fhir")
def import_fhir(request: MemberRequest, client_id: Id, payload: FhirResourceIn) -> Status:
    client = get_client_for(request.member, client_id)
    try:
        # The schema checks the envelope; the resource itself is read whole from the body.
        imported = do_import_fhir(request.actor, client, json_limits.loads(request.body))
    except FhirImportError as error:
        raise HttpError(422, str(error)) from None
    return Status(
        201,
        [
            ImportedOut(
                administration_id=i.administration.pk,
                instrument_id=i.instrument_id,
                total=i.total,
                alerts=i.alerts,
            )
            for i in imported
        ],
    )
