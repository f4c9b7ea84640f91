"""Whose answers are these? The patient a FHIR file is about, checked against the client the
file is being imported into, before anything is stored (a wrong-patient import files one
person's answers, and their risk alerts, in another person's record).

The file's patient
------------------
1. Each QuestionnaireResponse's ``subject`` is read:

   * a reference is resolved to a Patient of the file: the Bundle entry whose ``fullUrl`` is
     the reference, else the Bundle's Patient whose ``id`` is the reference's last segment
     (``Patient/7``, ``https://host/fhir/Patient/7``, ``…/Patient/7/_history/2``), or a
     Patient contained in the response (``#p1``);
   * a reference to anything but a Patient (a Group, a Practitioner, a RelatedPerson) is
     refused outright: Touchstone imports a client's own answers only;
   * a logical reference (``subject.identifier``, no resource) is an identifier;
   * a reference the file does not describe stays "named, not described" (the public US Core
     and SDC examples: ``Patient/example``, ``http://hl7.org/fhir/Patient/proband``).

2. Every response that has a subject must name the same patient; a file about two people is
   refused outright (import each person's answers into their own record). A response without
   a subject is taken to be about that patient.
3. When no response has a subject, the file's patient is its one Patient resource; a file with
   several Patients and no subjects is refused outright; a file with no Patient names nobody.

The match
---------
* **Identifier.** A Patient identifier in this clinic's Touchstone system
  (``…/NamingSystem/client/<clinic slug>``, what Touchstone's own export writes) decides on
  its own: the client's id is a match, another id a mismatch (another record of this clinic).
  Identifiers of other systems (another clinic, a hospital's record number) are not stored by
  Touchstone, so they prove nothing either way.
* **Name and birth date.** Otherwise the Patient needs a full birth date (YYYY-MM-DD) equal to
  the client's and a name with the client's family name and given (or preferred) name,
  compared without case, accents, punctuation or extra spaces. A name given only as ``text``
  must read "given family" or "family, given". A different birth date (also a partial one:
  another year) or a different name is a mismatch.
* Anything else cannot be verified: no patient named, a reference the file does not
  describe, an identifier of another system only, a Patient without a name or full birth date.

A mismatch, and a file that cannot be verified, is refused (nothing stored) with a message
naming both people, unless the user explicitly confirms: ``--accept-patient-mismatch`` on the
command line, a second confirmation step in the web form, ``accept_patient_mismatch=true`` in
the API. The refusal and the confirmation are both in the audit log (reason codes only).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from touchstone.accounts.models import Clinic
from touchstone.clients.models import Client
from touchstone.interop.fhir_export import CLIENT_ID_SYSTEM

#: ``Type/id`` at the end of a reference, before an optional ``/_history/version``.
_TYPED_REFERENCE = re.compile(
    r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$"
)
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Verdict(enum.StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    UNVERIFIED = "unverified"


class PatientFileError(ValueError):
    """The file cannot be imported into any one client's record, confirmed or not."""


@dataclass(frozen=True)
class FilePatient:
    """Whom the file says its answers are about."""

    resource: Mapping[str, Any] | None = None  # the Patient, when the file describes one
    reference: str = ""  # how the responses name it ('' when they do not)
    identifiers: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        """For the person importing (never for a log): who the file is about."""
        if self.resource is not None:
            parts = [_display_name(self.resource) or "a patient with no name"]
            born = self.resource.get("birthDate")
            parts.append(f"born {born}" if born else "no birth date")
            parts.extend(_identifier_text(s, v) for s, v in self.identifiers)
            return ", ".join(parts)
        if self.identifiers:
            return ", ".join(_identifier_text(s, v) for s, v in self.identifiers)
        if self.reference:
            return f"{self.reference} (not described in the file)"
        return "nobody named (the file names no patient)"


@dataclass(frozen=True)
class PatientCheck:
    """The verdict, a fixed reason code (safe for the audit log) and the file's patient."""

    verdict: Verdict
    reason: str
    patient: FilePatient

    def message(self, client: Client) -> str:
        """The refusal, naming both people: for the screen, never for a log."""
        ours = f"{client.full_name} (born {client.date_of_birth.isoformat()}, client {client.pk})"
        why = REASONS[self.reason]
        if self.verdict == Verdict.MISMATCH:
            return (
                f"This file is about {self.patient.describe()}, not {ours}: {why}. "
                "Nothing was imported."
            )
        return (
            f"This file cannot be checked against {ours}: {why} "
            f"(the file names {self.patient.describe()}). Nothing was imported."
        )


#: Reason codes (audit log) and what they mean (screen).
REASONS = {
    "identifier": "the Touchstone identifier matches",
    "name_and_birth_date": "the name and birth date match",
    "different_record": "its Touchstone identifier is another client of this clinic",
    "different_birth_date": "the birth dates differ",
    "different_name": "the names differ",
    "no_patient": "it does not say whose answers they are",
    "not_described": "the patient it names is not described in the file",
    "other_identifier_only": "it identifies the patient only by another system's identifier",
    "incomplete_patient": "its patient has no name or no full birth date to compare",
}


def client_system(clinic: Clinic) -> str:
    """The identifier system of a clinic's clients (Touchstone's export writes it)."""
    return f"{CLIENT_ID_SYSTEM}{clinic.slug}"


def check_patient(
    data: Mapping[str, Any], responses: Sequence[Mapping[str, Any]], client: Client
) -> PatientCheck:
    """Who ``data`` (a Bundle or a lone response, already checked structurally) is about, and
    whether that is ``client``. Raises :class:`PatientFileError` for a file about several
    people or about something other than a patient."""
    patient = file_patient(data, responses)
    return match(patient, client)


def file_patient(data: Mapping[str, Any], responses: Sequence[Mapping[str, Any]]) -> FilePatient:
    entries = [
        (str(entry.get("fullUrl") or ""), entry["resource"])
        for entry in (data.get("entry") or [] if data.get("resourceType") == "Bundle" else [])
    ]
    patients = [r for _, r in entries if r.get("resourceType") == "Patient"]
    named: dict[tuple[Any, ...], FilePatient] = {}
    for number, qr in enumerate(responses, start=1):
        subject = qr.get("subject")
        if not isinstance(subject, Mapping) or not (
            subject.get("reference") or subject.get("identifier")
        ):
            continue
        key, who = _subject(subject, qr, entries, number)
        named.setdefault(key, who)
    if len(named) > 1:
        raise PatientFileError(
            f"The file holds answers about {len(named)} different patients; import each "
            "person's answers into their own record."
        )
    if named:
        return next(iter(named.values()))
    if len(patients) > 1:
        raise PatientFileError(
            f"The file holds {len(patients)} Patients and its responses name none of them; "
            "import each person's answers into their own record."
        )
    if patients:
        return _described(patients[0], "")
    return FilePatient()


def _subject(
    subject: Mapping[str, Any],
    qr: Mapping[str, Any],
    entries: list[tuple[str, Mapping[str, Any]]],
    number: int,
) -> tuple[tuple[Any, ...], FilePatient]:
    reference = str(subject.get("reference") or "").strip()
    kind = subject.get("type")
    if kind and kind != "Patient":
        raise PatientFileError(f"Response {number} is about a {kind}, not a patient.")
    if reference:
        resource = _resolve(reference, qr, entries, number)
        if resource is not None:
            return ("resource", id(resource)), _described(resource, reference)
    identifier = subject.get("identifier")
    if isinstance(identifier, Mapping) and identifier.get("value"):
        pair = (str(identifier.get("system") or ""), str(identifier["value"]))
        return ("identifier", *pair), FilePatient(reference=reference, identifiers=(pair,))
    return ("reference", reference), FilePatient(reference=reference)


def _resolve(
    reference: str,
    qr: Mapping[str, Any],
    entries: list[tuple[str, Mapping[str, Any]]],
    number: int,
) -> Mapping[str, Any] | None:
    """The resource ``reference`` names in the file, or None; refuses a non-Patient."""
    found: Mapping[str, Any] | None = None
    if reference.startswith("#"):
        found = next(
            (r for r in qr.get("contained") or [] if r.get("id") == reference[1:]),
            None,
        )
    else:
        found = next((r for url, r in entries if url and url == reference), None)
        typed = _TYPED_REFERENCE.search(reference)
        if found is None and typed is not None:
            if typed.group(1) != "Patient":
                raise PatientFileError(
                    f"Response {number} is about a {typed.group(1)}, not a patient."
                )
            same_id = [
                r
                for _, r in entries
                if r.get("resourceType") == "Patient" and r.get("id") == typed.group(2)
            ]
            found = same_id[0] if len(same_id) == 1 else None
    if found is not None and found.get("resourceType") != "Patient":
        raise PatientFileError(
            f"Response {number} is about a {found.get('resourceType')}, not a patient."
        )
    return found


def _described(resource: Mapping[str, Any], reference: str) -> FilePatient:
    identifiers = tuple(
        (str(i.get("system") or ""), str(i["value"]))
        for i in resource.get("identifier") or []
        if isinstance(i, Mapping) and i.get("value")
    )
    return FilePatient(resource=resource, reference=reference, identifiers=identifiers)


def match(patient: FilePatient, client: Client) -> PatientCheck:
    """The rules of the module docstring, in order: identifier, birth date, name."""
    ours = client_system(client.clinic)
    own_ids = [value for system, value in patient.identifiers if system == ours]
    if own_ids:
        if str(client.pk) in own_ids:
            return PatientCheck(Verdict.MATCH, "identifier", patient)
        return PatientCheck(Verdict.MISMATCH, "different_record", patient)
    resource = patient.resource
    if resource is None:
        if patient.identifiers:
            return PatientCheck(Verdict.UNVERIFIED, "other_identifier_only", patient)
        reason = "not_described" if patient.reference else "no_patient"
        return PatientCheck(Verdict.UNVERIFIED, reason, patient)
    born = str(resource.get("birthDate") or "")
    client_born = client.date_of_birth.isoformat()
    if born and not client_born.startswith(born[:10]):
        return PatientCheck(Verdict.MISMATCH, "different_birth_date", patient)
    names = [n for n in resource.get("name") or [] if isinstance(n, Mapping) and _has_name(n)]
    if names and not any(_name_matches(n, client) for n in names):
        return PatientCheck(Verdict.MISMATCH, "different_name", patient)
    if not names or not _FULL_DATE.match(born):
        return PatientCheck(Verdict.UNVERIFIED, "incomplete_patient", patient)
    return PatientCheck(Verdict.MATCH, "name_and_birth_date", patient)


def normalise(text: str) -> str:
    """Lower case, no accents, words separated by one space (``"O'Brien-Núñez"`` →
    ``"o brien nunez"``)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall(r"[^\W_]+", plain.casefold()))


def _has_name(name: Mapping[str, Any]) -> bool:
    return bool(name.get("family") or name.get("given") or name.get("text"))


def _name_matches(name: Mapping[str, Any], client: Client) -> bool:
    family = normalise(client.family_name)
    firsts = {normalise(client.given_name), normalise(client.preferred_name)} - {""}
    givens = [normalise(str(g)) for g in name.get("given") or []]
    if name.get("family") or givens:
        candidates = set(givens) | {" ".join(givens)}
        if givens and givens[0]:
            candidates.add(givens[0].split()[0])
        return normalise(str(name.get("family") or "")) == family and bool(candidates & firsts)
    text = normalise(str(name.get("text") or ""))
    return any(text in (f"{first} {family}", f"{family} {first}") for first in firsts)


def _display_name(resource: Mapping[str, Any]) -> str:
    for name in resource.get("name") or []:
        if not isinstance(name, Mapping):
            continue
        if name.get("text"):
            return str(name["text"])
        words = [*(str(g) for g in name.get("given") or []), str(name.get("family") or "")]
        shown = " ".join(w for w in words if w)
        if shown:
            return shown
    return ""


def _identifier_text(system: str, value: str) -> str:
    if system.startswith(CLIENT_ID_SYSTEM):
        return f"Touchstone client {value} of clinic {system.removeprefix(CLIENT_ID_SYSTEM)}"
    return f"identifier {value} ({system or 'no system'})"
