"""Wrong-patient FHIR import (issue 10 §4): the file's patient is checked against the client
before anything is stored, on every path (action, command line, web form, API)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client as HttpClient
from django.utils import timezone

from touchstone.accounts.actions import do_create_token
from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.interop.fhir_export import client_bundle
from touchstone.interop.fhir_import import FhirImportError, PatientMismatchError, do_import_fhir
from touchstone.interop.patient_match import FilePatient, Verdict, match, normalise
from touchstone.measures.models import Administration, RiskAlert
from touchstone.reports.tests.factories import give

#: The public examples (docs: /work/shared/reference/fhir/SOURCES.md, byte-for-byte copies).
FIXTURES = Path(__file__).resolve().parents[2] / "science" / "instruments" / "tests" / "fixtures"
#: PHQ-9 with item 9 ("thoughts that you would be better off dead…") answered 2: an alert.
PHQ9_ITEM9 = [2, 2, 2, 1, 1, 1, 1, 1, 2]


def _load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def _patient(pid: str = "example", **fields: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pid,
        "name": [{"family": "Example", "given": ["Dana"]}],
        "birthDate": "1985-04-02",
    }
    resource.update(fields)
    return {k: v for k, v in resource.items() if v is not None}


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def _client_188(cast: Cast) -> Any:
    """Another client of the clinic, with a PHQ-9 whose risk item is positive."""
    other = make_client(
        cast.harbour, given_name="Jordan", family_name="Lee", date_of_birth=dt.date(1990, 2, 3)
    )
    give(other, cast.bob, "phq9", PHQ9_ITEM9, timezone.now() - dt.timedelta(days=3))
    give(other, cast.bob, "gad7", [1] * 7, timezone.now() - dt.timedelta(days=3))
    return other


# The action ----------------------------------------------------------------------------------


def test_it_refuses_another_clients_bundle_and_stores_nothing(cast: Cast):
    """``import fhir --client 5 client-188.json`` filed 188's answers (and alert) under 5."""
    other = _client_188(cast)
    bundle = client_bundle(cast.harbour, other, with_diagnoses=False)
    dana = make_client(cast.harbour)
    with pytest.raises(PatientMismatchError) as refused:
        do_import_fhir(actor_of(cast.bob), dana, bundle)
    message = str(refused.value)
    assert "Jordan Lee" in message and "Dana Example" in message
    assert f"client {dana.pk}" in message and f"Touchstone client {other.pk}" in message
    assert refused.value.check.reason == "different_record"
    assert not Administration.objects.filter(client=dana).exists()
    assert not RiskAlert.objects.filter(client=dana).exists()
    event = AuditEvent.objects.get(object_type="clients.client", object_id=str(dana.pk))
    assert (
        event.detail == "fhir import refused: patient mismatch (different_record); nothing stored"
    )
    assert "Jordan" not in event.detail and "Lee" not in event.detail


def test_it_imports_a_mismatch_only_when_the_user_confirms_and_audits_it(cast: Cast):
    other = _client_188(cast)
    bundle = client_bundle(cast.harbour, other, with_diagnoses=False)
    dana = make_client(cast.harbour)
    imported = do_import_fhir(actor_of(cast.bob), dana, bundle, accept_patient_mismatch=True)
    assert sorted(i.instrument_id for i in imported) == ["gad7", "phq9"]
    assert RiskAlert.objects.filter(client=dana).count() == 1
    [event] = AuditEvent.objects.filter(
        object_type="clients.client", object_id=str(dana.pk), detail__startswith="fhir import,"
    )
    assert event.detail == (
        "fhir import, 2 responses, patient mismatch (different_record) accepted by the user"
    )
    assert event.actor == cast.bob.user


def test_it_matches_its_own_export_by_identifier_even_against_a_namesake(cast: Cast):
    """Two records with the same name and birth date: the identifier decides."""
    first = make_client(cast.harbour)
    give(first, cast.bob, "phq9", [1] * 9, timezone.now() - dt.timedelta(days=1))
    namesake = make_client(cast.harbour)
    bundle = client_bundle(cast.harbour, first, with_diagnoses=False)
    with pytest.raises(PatientMismatchError, match="another client of this clinic"):
        do_import_fhir(actor_of(cast.bob), namesake, bundle)
    [item] = do_import_fhir(actor_of(cast.bob), first, bundle)
    assert item.instrument_id == "phq9"
    assert AuditEvent.objects.filter(detail__endswith="patient matched (identifier)").exists()


def test_it_matches_another_clinics_export_by_name_and_birth_date(cast: Cast):
    source = make_client(cast.harbour, given_name="Renée", family_name="O'Brien-Núñez")
    give(source, cast.bob, "phq9", [1] * 9, timezone.now() - dt.timedelta(days=1))
    bundle = client_bundle(cast.harbour, source, with_diagnoses=False)
    same = make_client(cast.northside, given_name="renee", family_name="OBRIEN NUNEZ")
    with pytest.raises(PatientMismatchError, match="the names differ"):
        do_import_fhir(actor_of(cast.charlie), same, bundle)  # "obrien" is not "o brien"
    same.family_name = "O'Brien Nunez"
    same.save(update_fields=["family_name"])
    [item] = do_import_fhir(actor_of(cast.charlie), same, bundle)
    assert item.total == 9
    born_later = make_client(cast.northside, given_name="Renée", family_name="O'Brien-Núñez",
                             date_of_birth=dt.date(1985, 4, 3))  # fmt: skip
    with pytest.raises(PatientMismatchError, match="the birth dates differ"):
        do_import_fhir(actor_of(cast.charlie), born_later, bundle)


# The public examples ------------------------------------------------------------------------


def test_it_cannot_check_the_public_us_core_example_alone(cast: Cast):
    """US Core's response names ``Patient/example`` but the file does not describe it."""
    dana = make_client(cast.harbour)
    response = _load("QuestionnaireResponse-phq-9-example.json")
    with pytest.raises(PatientMismatchError) as refused:
        do_import_fhir(actor_of(cast.bob), dana, response)
    assert refused.value.check.verdict == Verdict.UNVERIFIED
    assert "Patient/example (not described in the file)" in str(refused.value)
    assert not Administration.objects.filter(client=dana).exists()


@pytest.mark.parametrize(
    ("patient", "expected"),
    [
        (_patient(), "imported"),
        (_patient(name=[{"text": "Dana Example"}]), "imported"),
        (_patient(name=[{"family": "Example", "given": ["Dana", "Marie"]}]), "imported"),
        (_patient(birthDate="1985-04-20"), "the birth dates differ"),
        (_patient(birthDate="1986"), "the birth dates differ"),
        (_patient(birthDate="1985"), "no name or no full birth date"),
        (_patient(name=[{"family": "Example", "given": ["Dina"]}]), "the names differ"),
        (_patient(birthDate=None), "no name or no full birth date"),
        (_patient(name=None), "no name or no full birth date"),
        (_patient(id="someone-else"), "not described in the file"),
    ],
)
def test_it_resolves_the_us_core_examples_reference_in_a_bundle(cast: Cast, patient, expected):
    dana = make_client(cast.harbour)
    bundle = _bundle(patient, _load("QuestionnaireResponse-phq-9-example.json"))
    if expected == "imported":
        [item] = do_import_fhir(actor_of(cast.bob), dana, bundle)
        assert item.total == 12
        return
    with pytest.raises(PatientMismatchError, match=expected):
        do_import_fhir(actor_of(cast.bob), dana, bundle)
    assert not Administration.objects.filter(client=dana).exists()


def test_it_resolves_the_sdc_examples_absolute_reference(cast: Cast):
    """SDC's response names ``http://hl7.org/fhir/Patient/proband``: the Bundle's Patient
    with id ``proband`` is that patient."""
    client = make_client(cast.harbour, given_name="Sam", family_name="Proband")
    bundle = _bundle(
        _load("questionnaire-sdc-profile-example-PHQ9.json"),
        _patient("proband", name=[{"family": "Proband", "given": ["Sam"]}]),
        _load("questionnaireresponse-sdc-profile-example-PHQ9.json"),
    )
    [item] = do_import_fhir(actor_of(cast.bob), client, bundle)
    assert item.instrument_id == "phq9"
    wrong = make_client(cast.harbour)
    with pytest.raises(PatientMismatchError, match="Sam Proband, born 1985-04-02"):
        do_import_fhir(actor_of(cast.bob), wrong, bundle)


# Files that no confirmation can import --------------------------------------------------------


def _response_about(reference: str) -> dict[str, Any]:
    response = _load("QuestionnaireResponse-phq-9-example.json")
    response["subject"] = {"reference": reference}
    return response


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        (
            [
                _patient("a"),
                _patient("b"),
                _response_about("Patient/a"),
                _response_about("Patient/b"),
            ],
            "answers about 2 different patients",
        ),
        (
            [_patient("a"), _patient("b"), {**_response_about("x"), "subject": None}],
            "2 Patients and its responses name none",
        ),
        ([_response_about("Group/7")], "about a Group, not a patient"),
        (
            [{"resourceType": "Practitioner", "id": "p1"}, _response_about("Practitioner/p1")],
            "about a Practitioner, not a patient",
        ),
    ],
)
def test_it_refuses_a_file_about_several_people_or_no_person_even_confirmed(
    cast: Cast, resources, message
):
    dana = make_client(cast.harbour)
    for resource in resources:
        if resource.get("subject", "") is None:
            del resource["subject"]
    with pytest.raises(FhirImportError, match=message) as refused:
        do_import_fhir(actor_of(cast.bob), dana, _bundle(*resources), accept_patient_mismatch=True)
    assert not isinstance(refused.value, PatientMismatchError)
    assert not Administration.objects.filter(client=dana).exists()


def test_it_takes_the_one_patient_of_a_bundle_whose_responses_name_nobody(cast: Cast):
    dana = make_client(cast.harbour)
    response = _load("QuestionnaireResponse-phq-9-example.json")
    del response["subject"]
    [item] = do_import_fhir(actor_of(cast.bob), dana, _bundle(_patient(), response))
    assert item.total == 12
    with pytest.raises(PatientMismatchError, match="nobody named"):
        do_import_fhir(actor_of(cast.bob), dana, response)


def test_it_reads_a_contained_patient_and_a_logical_reference(cast: Cast):
    dana = make_client(cast.harbour)
    contained = _load("QuestionnaireResponse-phq-9-example.json")
    contained["contained"] = [_patient("p1")]
    contained["subject"] = {"reference": "#p1"}
    assert do_import_fhir(actor_of(cast.bob), dana, contained)[0].total == 12
    logical = _load("QuestionnaireResponse-phq-9-example.json")
    logical["subject"] = {
        "identifier": {
            "system": "https://touchstone.invalid/fhir/NamingSystem/client/harbour",
            "value": str(dana.pk),
        }
    }
    assert do_import_fhir(actor_of(cast.bob), dana, logical)[0].total == 12
    logical["subject"]["identifier"]["system"] = "urn:oid:2.16.840.1.113883.19.5"
    with pytest.raises(PatientMismatchError, match="another system's identifier"):
        do_import_fhir(actor_of(cast.bob), dana, logical)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("O'Brien-Núñez", "o brien nunez"),
        ("  ZOË   van der  Berg ", "zoe van der berg"),
        ("Łukasz", "łukasz"),  # no decomposition: kept as written, case folded
    ],
)
def test_it_compares_names_without_case_accents_or_punctuation(text, expected):
    assert normalise(text) == expected


def test_it_names_nobody_when_the_file_names_nobody(cast: Cast):
    dana = make_client(cast.harbour)
    check = match(FilePatient(), dana)
    assert (check.verdict, check.reason) == (Verdict.UNVERIFIED, "no_patient")
    assert "does not say whose answers they are" in check.message(dana)


# The command line, the web form and the API ------------------------------------------------------


def test_the_command_refuses_a_mismatch_unless_told_to_accept_it(cast: Cast, tmp_path):
    other = _client_188(cast)
    dana = make_client(cast.harbour)
    path = tmp_path / "client-188.json"
    call_command("export", "fhir", str(other.pk), "--out", str(path), "--clinic", "harbour")
    args = ["import", "fhir", str(path), "--client", str(dana.pk), "--clinic", "harbour"]
    with pytest.raises(CommandError) as refused:
        call_command(*args)
    assert refused.value.returncode == 2
    assert "Jordan Lee" in str(refused.value) and "Dana Example" in str(refused.value)
    assert "--accept-patient-mismatch" in str(refused.value)
    assert not Administration.objects.filter(client=dana).exists()
    call_command(*args, "--accept-patient-mismatch")
    assert Administration.objects.filter(client=dana).count() == 2
    assert AuditEvent.objects.filter(
        channel="cli", detail__endswith="patient mismatch (different_record) accepted by the user"
    ).exists()


def _upload(bundle: dict[str, Any]) -> Any:
    return SimpleUploadedFile("b.json", json.dumps(bundle).encode(), "application/json")


def test_the_web_form_asks_for_a_second_confirmation(cast: Cast):
    other = _client_188(cast)
    dana = make_client(cast.harbour)
    bundle = client_bundle(cast.harbour, other, with_diagnoses=False)
    http = cast.browser_for(cast.tess)
    url = f"/clients/{dana.pk}/fhir-import/"
    first = http.post(url, {"file": _upload(bundle)})
    page = first.content.decode()
    assert first.status_code == 200 and "Jordan Lee" in page and "Dana Example" in page
    assert 'name="confirmed"' in page and not Administration.objects.filter(client=dana).exists()
    token = first.context["confirm"]["pending"].value()
    unticked = http.post(url, {"pending": token})
    assert "Tick the box to confirm" in unticked.content.decode()
    assert not Administration.objects.filter(client=dana).exists()
    tampered = http.post(url, {"pending": token[:-2] + "xx", "confirmed": "on"})
    assert "not valid: upload the file again" in tampered.content.decode()
    other_client = make_client(cast.harbour)
    elsewhere = http.post(
        f"/clients/{other_client.pk}/fhir-import/", {"pending": token, "confirmed": "on"}
    )
    assert "not valid" in elsewhere.content.decode()
    assert not Administration.objects.filter(client=other_client).exists()
    done = http.post(url, {"pending": token, "confirmed": "on"})
    assert done.status_code == 302 and done["Location"] == f"/clients/{dana.pk}/progress/"
    assert Administration.objects.filter(client=dana).count() == 2
    assert AuditEvent.objects.filter(
        actor=cast.tess.user, channel="web", detail__contains="accepted by the user"
    ).exists()


def test_the_web_form_refuses_a_confirmation_by_someone_else(cast: Cast):
    other = _client_188(cast)
    dana = make_client(cast.harbour)
    bundle = client_bundle(cast.harbour, other, with_diagnoses=False)
    url = f"/clients/{dana.pk}/fhir-import/"
    token = (
        cast.browser_for(cast.tess)
        .post(url, {"file": _upload(bundle)})
        .context["confirm"]["pending"]
        .value()
    )
    page = cast.browser_for(cast.bob).post(url, {"pending": token, "confirmed": "on"})
    assert "not valid: upload the file again" in page.content.decode()
    assert not Administration.objects.filter(client=dana).exists()


def test_the_api_answers_409_and_imports_only_when_told_to_accept(cast: Cast):
    other = _client_188(cast)
    dana = make_client(cast.harbour)
    bundle = client_bundle(cast.harbour, other, with_diagnoses=False)
    _, token = do_create_token(actor_of(cast.bob), "t")
    http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/v1/interop/clients/{dana.pk}/fhir"
    refused = http.post(url, bundle, content_type="application/json")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "patient_mismatch" and error["fields"] == {}
    assert "Jordan Lee" in error["message"] and "Dana Example" in error["message"]
    assert not Administration.objects.filter(client=dana).exists()
    assert AuditEvent.objects.filter(channel="api", detail__startswith="fhir import refused")
    accepted = http.post(
        url + "?accept_patient_mismatch=true", bundle, content_type="application/json"
    )
    assert accepted.status_code == 201 and len(accepted.json()) == 2


def test_it_logs_a_refused_patient_as_a_reason_code_only(cast: Cast, log_events):
    other = _client_188(cast)
    dana = make_client(cast.harbour)
    with pytest.raises(PatientMismatchError):
        do_import_fhir(
            actor_of(cast.bob), dana, client_bundle(cast.harbour, other, with_diagnoses=False)
        )
    [failed] = log_events("import_failed")
    assert (failed["kind"], failed["reason"]) == ("fhir", "patient_mismatch")
    assert "Jordan" not in json.dumps(failed) and "Dana" not in json.dumps(failed)
