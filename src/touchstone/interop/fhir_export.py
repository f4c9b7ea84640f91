"""Export one client as a FHIR R4 Bundle (type ``collection``), every resource validated.

Validation uses ``fhir.resources``' R4B models (FHIR 4.3.0): the 8.x line ships R5 by default
and R4B, not 4.0.1, and R4B's Patient, Condition, Procedure, Observation, Questionnaire and
QuestionnaireResponse are structurally those of R4 (R4B changed medication-definition and
evidence resources only). Codes and their sources are in docs/reports.md.

References between entries are ``urn:uuid:`` full URLs, derived deterministically (UUID5)
from the clinic, the resource type and the row id, so that one export is stable.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.accounts.roles import roles_with
from touchstone.care.models import Diagnosis, Visit, VisitAddendum, VisitStatus
from touchstone.clients.models import Client
from touchstone.interop.fhir_person import communication, life_stage_observations, patient_fields
from touchstone.logs import export_finished
from touchstone.measures.instruments import instrument, is_custom
from touchstone.measures.models import Administration
from touchstone.physiology.models import Recording, Sample, SleepNight
from touchstone.science.billing import MASSAGE_CPT, MASSAGE_CPT_TEXT
from touchstone.science.instruments import to_fhir_questionnaire, to_questionnaire_response

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
CPT = "http://www.ama-assn.org/go/cpt"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
LOCAL = "https://touchstone.invalid/fhir/CodeSystem/touchstone-physiology"
CLIENT_ID_SYSTEM = "https://touchstone.invalid/fhir/NamingSystem/client/"

#: SNOMED CT 387854002 |Massage (procedure)| (from memory; verify in a SNOMED browser).
MASSAGE_SNOMED = ("387854002", "Massage")
#: LOINC vital signs (FHIR R4 vital-signs profile, hl7.org/fhir/R4/observation-vitalsigns).
HEART_RATE = ("8867-4", "Heart rate")
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")
#: LOINC 80404-7 "R-R interval.standard deviation (Heart rate variability)" = SDNN (the code
#: Apple HealthKit exports HRV with; verify at loinc.org). RMSSD has no LOINC code we know.
HRV_SDNN = ("80404-7", "R-R interval.standard deviation (Heart rate variability)")
#: LOINC 93832-4 "Sleep duration" (UNVERIFIED: check at loinc.org before relying on it).
SLEEP_DURATION = ("93832-4", "Sleep duration")


class FhirValidationError(ValueError):
    """A resource we built does not validate: a defect in Touchstone, never in the data."""


def validate(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate ``resource`` against its R4B model; return it unchanged."""
    from fhir.resources.R4B import get_fhir_model_class

    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise FhirValidationError(f"{resource['resourceType']}: {error}") from None
    return resource


def urn(clinic: Clinic, kind: str, pk: Any) -> str:
    return "urn:uuid:" + str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"touchstone:{clinic.slug}:{kind}:{pk}")
    )


def _instant(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _category(code: str) -> list[dict[str, Any]]:
    return [{"coding": [_coding(OBS_CATEGORY, code)]}]


def patient(clinic: Clinic, client: Client) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": f"{CLIENT_ID_SYSTEM}{clinic.slug}", "value": str(client.pk)}],
        "active": not client.is_archived,
        "name": [{"family": client.family_name, "given": [client.given_name]}],
        "birthDate": client.date_of_birth.isoformat(),
        **patient_fields(client),  # gender, birth sex, gender identity, pronouns
        "communication": communication(client),
    }
    telecom = []
    if client.phone:
        telecom.append({"system": "phone", "value": client.phone})
    if client.email:
        telecom.append({"system": "email", "value": client.email})
    if telecom:
        resource["telecom"] = telecom
    if client.address or client.city or client.postal_code:
        address: dict[str, Any] = {"line": [client.address]} if client.address else {}
        for key, value in (("city", client.city), ("postalCode", client.postal_code)):
            if value:
                address[key] = value
        resource["address"] = [address]
    return resource


def condition(clinic: Clinic, diagnosis: Diagnosis, subject: str) -> dict[str, Any]:
    ended = diagnosis.episode.ended_on
    status = "resolved" if ended and ended < timezone.localdate() else "active"
    return {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [_coding("http://terminology.hl7.org/CodeSystem/condition-clinical", status)]
        },
        "verificationStatus": {
            "coding": [
                _coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed")
            ]
        },
        "category": [
            {
                "coding": [
                    _coding(
                        "http://terminology.hl7.org/CodeSystem/condition-category",
                        "encounter-diagnosis",
                    )
                ]
            }
        ],
        "code": {"coding": [_coding(ICD10CM, diagnosis.code, diagnosis.title)]},
        "subject": {"reference": subject},
        "recordedDate": _instant(diagnosis.entered_at),
    }


def _annotation(author: Any, when: dt.datetime, text: str) -> dict[str, Any]:
    return {"authorString": author.display_name, "time": _instant(when), "text": text}


def note_annotations(visit: Visit, addenda: Iterable[Any]) -> list[dict[str, Any]]:
    """A signed visit note and its addenda as FHIR Annotations (author, time, text).

    Only signed notes leave the clinic: an unsigned note is a draft. Each addendum follows
    the note as its own dated, signed Annotation, as charting tools show them.
    """
    if visit.signed_at is None or visit.signed_by is None:
        return []
    soap = [
        f"{label}: {text.strip()}"
        for label, text in (
            ("Subjective", visit.subjective),
            ("Objective", visit.objective),
            ("Assessment", visit.assessment),
            ("Plan", visit.plan),
        )
        if text.strip()
    ]
    note = "Signed visit note.\n" + "\n".join(soap) if soap else "Signed visit note (empty)."
    return [
        _annotation(visit.signed_by, visit.signed_at, note),
        *(_annotation(a.signed_by, a.signed_at, f"Addendum: {a.text}") for a in addenda),
    ]


def procedure(visit: Visit, subject: str, addenda: Iterable[Any] = ()) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "status": "completed",
        "code": {
            "coding": [
                _coding(SNOMED, *MASSAGE_SNOMED),
                _coding(CPT, MASSAGE_CPT, MASSAGE_CPT_TEXT),
            ],
            "text": f"Massage ({visit.get_modality_display()})",
        },
        "subject": {"reference": subject},
        "performedPeriod": {"start": _instant(visit.starts_at), "end": _instant(visit.ends_at)},
    }
    notes = note_annotations(visit, addenda)
    if notes:
        resource["note"] = notes
    return resource


def _quantity(value: float, unit: str, code: str | None = None) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code or unit}


def observation(
    code: tuple[str, str] | dict[str, str],
    when: dt.datetime | dt.date,
    subject: str,
    category: str | None,
    value: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    coding = code if isinstance(code, dict) else _coding(LOINC, *code)
    effective = _instant(when) if isinstance(when, dt.datetime) else when.isoformat()
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [coding]},
        "subject": {"reference": subject},
        "effectiveDateTime": effective,
    }
    if category:
        resource["category"] = _category(category)
    if value is not None:
        resource["valueQuantity"] = value
    resource.update(extra)
    return resource


def vitals(visit: Visit, subject: str) -> Iterable[dict[str, Any]]:
    for when in ("before", "after"):
        at = visit.starts_at if when == "before" else visit.ends_at
        note = [{"text": f"{when} the massage session"}]
        hr = getattr(visit, f"heart_rate_{when}")
        if hr is not None:
            yield observation(
                HEART_RATE, at, subject, "vital-signs", _quantity(hr, "/min"), note=note
            )
        systolic, diastolic = (
            getattr(visit, f"systolic_{when}"),
            getattr(visit, f"diastolic_{when}"),
        )
        if systolic is not None and diastolic is not None:
            yield observation(
                BP_PANEL,
                at,
                subject,
                "vital-signs",
                note=note,
                component=[
                    {
                        "code": {"coding": [_coding(LOINC, *SYSTOLIC)]},
                        "valueQuantity": _quantity(systolic, "mmHg", "mm[Hg]"),
                    },
                    {
                        "code": {"coding": [_coding(LOINC, *DIASTOLIC)]},
                        "valueQuantity": _quantity(diastolic, "mmHg", "mm[Hg]"),
                    },
                ],
            )


#: Said of every score of a clinic's own questionnaire (issue 15 §1).
NOT_VALIDATED = "Not validated: the clinic's own questionnaire, not a validated instrument."


def score_resources(
    clinic: Clinic, administration: Administration, subject: str
) -> list[tuple[str, dict[str, Any]]]:
    """The QuestionnaireResponse of an administration and its total-score Observation."""
    definition = instrument(administration.instrument_id)
    qr = to_questionnaire_response(definition, administration.answers)
    qr["language"] = administration.language  # the language the client read it in
    qr["subject"] = {"reference": subject}
    qr["authored"] = _instant(administration.when)
    qr_urn = urn(clinic, "qr", administration.pk)
    out = [(qr_urn, qr)]
    if administration.total is not None:
        total = definition.total_code
        coding = _coding(total.system or LOCAL, total.code, total.display)
        out.append(
            (
                urn(clinic, "score", administration.pk),
                observation(
                    coding,
                    administration.when,
                    subject,
                    "survey",
                    {
                        "value": administration.total,
                        "unit": "{score}",
                        "system": UCUM,
                        "code": "{score}",
                    },
                    derivedFrom=[{"reference": qr_urn}],
                    **(
                        {"note": [{"text": NOT_VALIDATED}]}
                        if is_custom(administration.instrument_id)
                        else {}
                    ),
                ),
            )
        )
    return out


def physiology_resources(
    clinic: Clinic, client: Client, subject: str
) -> list[tuple[str, dict[str, Any]]]:
    """Cortisol samples, HRV recordings and sleep-diary nights (physiology app)."""
    out: list[tuple[str, dict[str, Any]]] = []
    for s in Sample.objects.filter(clinic_id=clinic.pk, client_id=client.pk).order_by(
        "collected_at", "id"
    ):
        code = _coding(LOCAL, f"{s.analyte}-{s.specimen}", f"{s.analyte.title()} in {s.specimen}")
        out.append(
            (
                urn(clinic, "sample", s.pk),
                observation(
                    code,
                    s.collected_at,
                    subject,
                    "laboratory",
                    _quantity(round(s.canonical_value, 4), s.canonical_unit),
                ),
            )
        )
    for r in (
        Recording.objects.filter(clinic_id=clinic.pk, client_id=client.pk)
        .defer("rr_ms")
        .order_by("recorded_at", "id")
    ):
        out.append(
            (
                urn(clinic, "hrv-sdnn", r.pk),
                observation(
                    HRV_SDNN, r.recorded_at, subject, None, _quantity(round(r.sdnn, 2), "ms")
                ),
            )
        )
        out.append(
            (
                urn(clinic, "hrv-rmssd", r.pk),
                observation(
                    _coding(LOCAL, "hrv-rmssd", "RMSSD of RR intervals"),
                    r.recorded_at,
                    subject,
                    None,
                    _quantity(round(r.rmssd, 2), "ms"),
                ),
            )
        )
    for n in SleepNight.objects.filter(clinic_id=clinic.pk, client_id=client.pk).order_by(
        "night_of", "id"
    ):
        out.append(
            (
                urn(clinic, "sleep-tst", n.pk),
                observation(
                    SLEEP_DURATION,
                    n.night_of,
                    subject,
                    None,
                    _quantity(round(n.tst_min / 60, 2), "h"),
                ),
            )
        )
        out.append(
            (
                urn(clinic, "sleep-se", n.pk),
                observation(
                    _coding(LOCAL, "sleep-efficiency", "Sleep efficiency (sleep diary)"),
                    n.night_of,
                    subject,
                    None,
                    _quantity(round(n.se_pct, 1), "%"),
                ),
            )
        )
    return out


def client_bundle(clinic: Clinic, client: Client, *, with_diagnoses: bool) -> dict[str, Any]:
    """The client's record as a validated FHIR R4 ``collection`` Bundle."""
    started = time.perf_counter()
    subject = urn(clinic, "patient", client.pk)
    entries: list[tuple[str, dict[str, Any]]] = [(subject, patient(clinic, client))]
    entries.extend(
        (urn(clinic, f"life-stage-{i}", client.pk), o)
        for i, o in enumerate(life_stage_observations(client, subject))
    )
    if with_diagnoses:
        for d in Diagnosis.objects.filter(
            clinic_id=clinic.pk,
            episode__client_id=client.pk,
            entered_by__role__in=roles_with("diagnoses.edit"),
        ).select_related("episode"):
            entries.append((urn(clinic, "condition", d.pk), condition(clinic, d, subject)))
    visits = list(
        Visit.objects.filter(clinic_id=clinic.pk, client_id=client.pk, status=VisitStatus.COMPLETED)
        .select_related("signed_by__user")
        .prefetch_related(
            Prefetch("addenda", VisitAddendum.objects.select_related("signed_by__user"))
        )
        .order_by("starts_at", "id")
    )
    for v in visits:
        entries.append((urn(clinic, "procedure", v.pk), procedure(v, subject, v.addenda.all())))
        entries.extend(
            (urn(clinic, f"vital-{i}", v.pk), o) for i, o in enumerate(vitals(v, subject))
        )
    administrations = list(
        Administration.objects.filter(clinic_id=clinic.pk, client_id=client.pk)
        .completed()
        .order_by("completed_at", "id")
    )
    for instrument_id in sorted({a.instrument_id for a in administrations}):
        q = to_fhir_questionnaire(instrument(instrument_id))
        if is_custom(instrument_id):
            q["description"] = NOT_VALIDATED
        entries.append((urn(clinic, "questionnaire", instrument_id), q))
    for a in administrations:
        entries.extend(score_resources(clinic, a, subject))
    entries.extend(physiology_resources(clinic, client, subject))
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _instant(timezone.now()),
        "entry": [{"fullUrl": full_url, "resource": validate(r)} for full_url, r in entries],
    }
    bundle = validate(bundle)
    export_finished("fhir_bundle", started, resources=len(entries))
    return bundle
