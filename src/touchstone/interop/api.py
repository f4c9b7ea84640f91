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
from touchstone.interop.fhir_import import FhirImportError, PatientMismatchError, do_import_fhir
from touchstone.lib import json_limits
from touchstone.lib.api_errors import ErrorOut, error_body
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
    response={201: list[ImportedOut], 409: ErrorOut},
    summary="Import QuestionnaireResponses (scored, risk alerts raised); all or nothing",
    description="The file's patient must be the client (Touchstone identifier, or name and "
    "birth date; docs/reports.md). Otherwise nothing is stored and the answer is 409 "
    "`patient_mismatch`, naming both; send again with `accept_patient_mismatch=true` once "
    "you have checked that the answers are the client's (the audit log records it).",
)
@api_requires("interop.fhir")
def import_fhir(
    request: MemberRequest,
    client_id: Id,
    payload: FhirResourceIn,
    accept_patient_mismatch: bool = False,
) -> Status:
    client = get_client_for(request.member, client_id)
    try:
        # The schema checks the envelope; the resource itself is read whole from the body.
        imported = do_import_fhir(
            request.actor,
            client,
            json_limits.loads(request.body),
            accept_patient_mismatch=accept_patient_mismatch,
        )
    except PatientMismatchError as error:
        # Answered, not raised: the refusal's audit event is kept (the request commits).
        return Status(409, error_body("patient_mismatch", str(error)))
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
