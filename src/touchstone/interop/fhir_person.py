"""Sex, gender and life stage of a client in FHIR R4, as US Core 6.1.0 (STU6.1) profiles them.

* ``Patient.gender`` (AdministrativeGender) carries the sex assigned at birth. Touchstone
  records no separate administrative gender; ``Client.sex_at_birth`` uses AdministrativeGender's
  own codes, and is the value the scored instruments depend on (PHQ-15 item 4), so a receiver
  that scores from ``Patient.gender`` scores as we do. Gender identity never goes there (HL7
  Gender Harmony: identity is not administrative gender).
* The US Core Birth Sex extension (``us-core-birthsex``, LOINC 76689-9; codes F, M, UNK) says
  explicitly that the value is the sex assigned at birth; "other" (e.g. intersex) has no code
  in its value set, so it is left out then.
* The US Core Gender Identity extension (``us-core-genderIdentity``, STU6.1: a CodeableConcept
  from the HL7 Gender Identity value set: SNOMED CT female/male/non-binary gender identity,
  data-absent-reason ``asked-declined``, NullFlavor ``UNK``/``OTH`` with the client's words as
  text).
* Pronouns: US Core has none; the HL7 extension pack's ``individual-pronouns`` (a complex
  extension whose ``value`` is a CodeableConcept from LOINC LL687-2: LA29518-0 he/him/his,
  LA29519-8 she/her/her/hers, LA29520-6 they/them/their/theirs).
* Pregnancy status: an Observation as US Core's and the IPS' pregnancy status (LOINC 82810-3,
  SNOMED CT 77386006 pregnant, 60001007 not pregnant, 261665006 unknown); a postpartum client
  is "not pregnant" plus an Observation of the delivery date (LOINC 93857-1, verify).
* Menopause status: an Observation with a Touchstone code (no LOINC code we could verify) and a
  SNOMED CT value where we know one (verify in a SNOMED browser before relying on it).

Sources: hl7.org/fhir/us/core/STU6.1/StructureDefinition-us-core-patient.html,
-us-core-birthsex.html, -us-core-genderIdentity.html;
hl7.org/fhir/extensions/StructureDefinition-individual-pronouns.html;
hl7.org/fhir/uv/ips/StructureDefinition-Observation-pregnancy-status-uv-ips.html.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from touchstone.clients.models import (
    Client,
    GenderIdentity,
    MenopauseStatus,
    PregnancyStatus,
    Pronouns,
    SexAtBirth,
    language_choices,
    language_codes,
)

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
LOCAL = "https://touchstone.invalid/fhir/CodeSystem/touchstone-client"
BIRTH_SEX_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
GENDER_IDENTITY_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-genderIdentity"
PRONOUNS_URL = "http://hl7.org/fhir/StructureDefinition/individual-pronouns"

#: sex_at_birth -> (Patient.gender, us-core-birthsex code or None).
SEX = {
    SexAtBirth.FEMALE: ("female", "F"),
    SexAtBirth.MALE: ("male", "M"),
    SexAtBirth.OTHER: ("other", None),
    SexAtBirth.UNKNOWN: ("unknown", "UNK"),
}
#: gender_identity -> (system, code, display).
GENDER_IDENTITY = {
    GenderIdentity.FEMALE: (SNOMED, "446141000124107", "Identifies as female gender"),
    GenderIdentity.MALE: (SNOMED, "446151000124109", "Identifies as male gender"),
    GenderIdentity.NON_BINARY: (SNOMED, "33791000087105", "Identifies as nonbinary gender"),
    GenderIdentity.OTHER: (NULL_FLAVOR, "OTH", "other"),
    GenderIdentity.ASKED_DECLINED: (DATA_ABSENT, "asked-declined", "Asked But Declined"),
    GenderIdentity.UNKNOWN: (NULL_FLAVOR, "UNK", "unknown"),
}
PRONOUNS = {
    Pronouns.HE: ("LA29518-0", "he/him/his/his/himself"),
    Pronouns.SHE: ("LA29519-8", "she/her/her/hers/herself"),
    Pronouns.THEY: ("LA29520-6", "they/them/their/theirs/themselves"),
}
PREGNANCY_STATUS = ("82810-3", "Pregnancy status")
DELIVERY_DATE = ("93857-1", "Date and time of obstetric delivery")
PREGNANCY_VALUE = {
    PregnancyStatus.PREGNANT: ("77386006", "Pregnant"),
    PregnancyStatus.NOT_PREGNANT: ("60001007", "Not pregnant"),
    PregnancyStatus.POSTPARTUM: ("60001007", "Not pregnant"),
    PregnancyStatus.UNKNOWN: ("261665006", "Unknown"),
}
MENOPAUSE_STATUS = ("menopause-status", "Menopause status")


def _concept(system: str, code: str, display: str, text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": [{"system": system, "code": code, "display": display}]}
    if text:
        out["text"] = text
    return out


#: Patient.communication.language codes: BCP 47 (R4 binds it to the "Common Languages" value
#: set, whose system is urn:ietf:bcp:47; hl7.org/fhir/R4/patient-definitions.html).
BCP47 = "urn:ietf:bcp:47"


def communication(client: Client) -> list[dict[str, Any]]:
    """``Patient.communication``: the client's preferred language, ``preferred: true``."""
    names = dict(language_choices())
    coding = {"system": BCP47, "code": client.preferred_language}
    if client.preferred_language in names:
        coding["display"] = names[client.preferred_language]
    return [{"language": {"coding": [coding]}, "preferred": True}]


def preferred_language(patient: Mapping[str, Any]) -> str | None:
    """The language a FHIR Patient prefers, if it is one of the project's languages: the
    ``communication`` marked ``preferred`` (else the only one), its BCP 47 code's primary tag
    ("es-US" is "es" when only "es" is offered). ``None`` when the Patient says nothing usable.
    """
    entries = [c for c in patient.get("communication") or () if isinstance(c, Mapping)]
    preferred = [c for c in entries if c.get("preferred") is True]
    chosen = preferred or (entries if len(entries) == 1 else [])
    codes = language_codes()
    for entry in chosen:
        for coding in (entry.get("language") or {}).get("coding") or ():
            code = str(coding.get("code") or "")
            if coding.get("system") not in (None, BCP47) or not code:
                continue
            for candidate in (code, code.split("-")[0].lower()):
                if candidate in codes:
                    return candidate
    return None


def patient_fields(client: Client) -> dict[str, Any]:
    """``gender`` and ``extension`` of the client's Patient (only what is recorded)."""
    out: dict[str, Any] = {}
    extensions: list[dict[str, Any]] = []
    if client.sex_at_birth:
        gender, birth_sex = SEX[SexAtBirth(client.sex_at_birth)]
        out["gender"] = gender
        if birth_sex:
            extensions.append({"url": BIRTH_SEX_URL, "valueCode": birth_sex})
    if client.gender_identity:
        system, code, display = GENDER_IDENTITY[GenderIdentity(client.gender_identity)]
        words = client.gender_identity_other or None
        extensions.append(
            {
                "url": GENDER_IDENTITY_URL,
                "valueCodeableConcept": _concept(system, code, display, words),
            }
        )
    if client.pronouns:
        if client.pronouns == Pronouns.OTHER:
            value = _concept(NULL_FLAVOR, "OTH", "other", client.pronouns_other or None)
        else:
            code, display = PRONOUNS[Pronouns(client.pronouns)]
            value = _concept(LOINC, code, display)
        extensions.append(
            {"url": PRONOUNS_URL, "extension": [{"url": "value", "valueCodeableConcept": value}]}
        )
    if extensions:
        out["extension"] = extensions
    return out


def life_stage_observations(client: Client, subject: str) -> list[dict[str, Any]]:
    """Pregnancy (and delivery date) and menopause status as Observations, effective when the
    client record was last changed (the record keeps no separate date for them)."""
    recorded = timezone.localtime(client.updated_at).isoformat(timespec="seconds")
    base = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "social-history",
                    }
                ]
            }
        ],
        "subject": {"reference": subject},
        "effectiveDateTime": recorded,
    }
    out = []
    if client.pregnancy_status:
        code, display = PREGNANCY_VALUE[PregnancyStatus(client.pregnancy_status)]
        out.append(
            {
                **base,
                "code": _concept(LOINC, *PREGNANCY_STATUS),
                "valueCodeableConcept": _concept(SNOMED, code, display),
            }
        )
        if client.pregnancy_status == PregnancyStatus.POSTPARTUM and client.delivery_date:
            out.append(
                {
                    **base,
                    "code": _concept(LOINC, *DELIVERY_DATE),
                    "valueDateTime": client.delivery_date.isoformat(),
                }
            )
    if client.menopause_status:
        status = MenopauseStatus(client.menopause_status)
        out.append(
            {
                **base,
                "code": _concept(LOCAL, *MENOPAUSE_STATUS),
                "valueCodeableConcept": _concept(LOCAL, f"menopause-{status.value}", status.label),
            }
        )
    return out
