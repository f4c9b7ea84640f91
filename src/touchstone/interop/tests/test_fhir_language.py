"""The client's language in FHIR: ``Patient.communication`` (BCP 47, preferred) on export,
``QuestionnaireResponse.language`` both ways (issue 15 §3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from touchstone.conftest import Cast, actor_of, make_client
from touchstone.interop.fhir_export import client_bundle, validate
from touchstone.interop.fhir_import import do_import_fhir
from touchstone.interop.fhir_person import preferred_language
from touchstone.measures.models import Administration
from touchstone.reports.tests.factories import full_client

FIXTURES = Path(__file__).resolve().parents[2] / "science" / "instruments" / "tests" / "fixtures"
US_CORE_PHQ9 = "QuestionnaireResponse-phq-9-example.json"


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _about_dana(qr: dict, **patient: object) -> dict:
    person = {"resourceType": "Patient", "id": "example", "birthDate": "1985-04-02",
              "name": [{"family": "Example", "given": ["Dana"]}], **patient}  # fmt: skip
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": person}, {"resource": qr}]}  # fmt: skip


def _spanish(language: str) -> list[dict]:
    return [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": language}]},
             "preferred": True}]  # fmt: skip


def test_the_patient_carries_the_preferred_language_and_responses_theirs(cast: Cast):
    client, _ = full_client(cast.harbour, cast.bob, cast.tess, n_visits=1,
                            preferred_language="es")  # fmt: skip
    Administration.objects.filter(client=client).update(language="es")
    bundle = validate(client_bundle(cast.harbour, client, with_diagnoses=False))  # fhir.resources
    (person,) = _resources(bundle, "Patient")
    assert person["communication"] == [
        {
            "language": {
                "coding": [{"system": "urn:ietf:bcp:47", "code": "es", "display": "Español"}]
            },
            "preferred": True,
        }
    ]
    responses = _resources(bundle, "QuestionnaireResponse")
    assert responses and {r["language"] for r in responses} == {"es"}


def test_an_imported_response_keeps_its_language(cast: Cast):
    qr = json.loads((FIXTURES / US_CORE_PHQ9).read_text()) | {"language": "es-US"}
    [item] = do_import_fhir(actor_of(cast.bob), make_client(cast.harbour), _about_dana(qr))
    assert Administration.objects.get(pk=item.administration.pk).language == "es"


def test_without_its_own_language_a_response_is_in_the_patients_preferred_one(cast: Cast):
    qr = json.loads((FIXTURES / US_CORE_PHQ9).read_text())
    qr.pop("language", None)
    bundle = _about_dana(qr, communication=_spanish("es"))
    [item] = do_import_fhir(actor_of(cast.bob), make_client(cast.harbour), bundle)
    assert Administration.objects.get(pk=item.administration.pk).language == "es"
    [item] = do_import_fhir(actor_of(cast.bob), make_client(cast.harbour), _about_dana(qr))
    assert Administration.objects.get(pk=item.administration.pk).language == "en"


@pytest.mark.parametrize(
    ("communication", "expected"),
    [(_spanish("es-MX"), "es"), (_spanish("fr"), None), ([], None),
     ([{"language": {"coding": [{"code": "es"}]}}], "es"),  # one entry: preferred by default
     ([{"language": {"text": "Spanish"}, "preferred": True}], None)],
)  # fmt: skip
def test_it_reads_the_preferred_language_of_a_patient(communication, expected):
    assert preferred_language({"communication": communication}) == expected
