"""FHIR R4 export (validated), import of third-party responses, round trip, CLI and API."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from touchstone.accounts.actions import do_create_token
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.interop.fhir_export import client_bundle, validate
from touchstone.interop.fhir_import import FhirImportError, do_import_fhir
from touchstone.measures.models import Administration, Mode, RiskAlert
from touchstone.reports.tests.factories import full_client

FIXTURES = Path(__file__).resolve().parents[2] / "science" / "instruments" / "tests" / "fixtures"


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _about_dana(*resources: dict, patient_id: str = "example") -> dict:
    """A Bundle of ``resources`` with the Patient their subject names (``make_client``'s Dana
    Example), so that the import's patient check passes (test_patient_match.py)."""
    patient = {
        "resourceType": "Patient",
        "id": patient_id,
        "name": [{"family": "Example", "given": ["Dana"]}],
        "birthDate": "1985-04-02",
    }
    entries = [{"resource": patient}, *({"resource": r} for r in resources)]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _codes(resource: dict) -> set[str]:
    return {c["code"] for c in resource["code"]["coding"]}


def test_it_exports_a_valid_bundle_with_loinc_scores_and_vitals(cast: Cast):
    client, _ = full_client(cast.harbour, cast.bob, cast.tess, n_visits=2)
    bundle = client_bundle(cast.harbour, client, with_diagnoses=True)
    validate(bundle)
    assert bundle["type"] == "collection"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds >= {
        "Patient",
        "Condition",
        "Procedure",
        "Questionnaire",
        "QuestionnaireResponse",
        "Observation",
    }
    condition = _resources(bundle, "Condition")[0]
    coding = condition["code"]["coding"][0]
    assert (coding["system"], coding["code"]) == ("http://hl7.org/fhir/sid/icd-10-cm", "F32.1")
    assert "97124" in _codes(_resources(bundle, "Procedure")[0])
    observations = _resources(bundle, "Observation")
    scores = [o for o in observations if _codes(o) & {"44261-6", "70274-6"}]
    assert sorted(o["valueQuantity"]["value"] for o in scores if "44261-6" in _codes(o)) == [5, 18]
    assert {o["valueQuantity"]["code"] for o in scores} == {"{score}"}
    assert any("8867-4" in _codes(o) for o in observations)
    panel = next(o for o in observations if "85354-9" in _codes(o))
    assert [c["code"]["coding"][0]["code"] for c in panel["component"]] == ["8480-6", "8462-4"]


def test_it_exports_sex_gender_identity_pronouns_and_life_stage_as_us_core_does(cast: Cast):
    delivered = timezone.localdate() - dt.timedelta(weeks=6)
    client, _ = full_client(
        cast.harbour, cast.bob, cast.tess, n_visits=1,
        sex_at_birth="female", gender_identity="non-binary", pronouns="they",
        pregnancy_status="postpartum", delivery_date=delivered, menopause_status="pre",
    )  # fmt: skip
    bundle = validate(client_bundle(cast.harbour, client, with_diagnoses=False))
    (person,) = _resources(bundle, "Patient")
    assert person["gender"] == "female"  # sex assigned at birth (US Core 6.1 Patient.gender)
    ext = {e["url"].rsplit("/", 1)[1]: e for e in person["extension"]}
    assert ext["us-core-birthsex"]["valueCode"] == "F"
    identity = ext["us-core-genderIdentity"]["valueCodeableConcept"]["coding"][0]
    assert (identity["system"], identity["code"]) == ("http://snomed.info/sct", "33791000087105")
    pronoun = ext["individual-pronouns"]["extension"][0]["valueCodeableConcept"]["coding"][0]
    assert pronoun["code"] == "LA29520-6"
    observations = _resources(bundle, "Observation")
    pregnancy = next(o for o in observations if "82810-3" in _codes(o))
    assert pregnancy["valueCodeableConcept"]["coding"][0]["code"] == "60001007"
    delivery = next(o for o in observations if "93857-1" in _codes(o))
    assert delivery["valueDateTime"] == delivered.isoformat()
    assert any("menopause-status" in _codes(o) for o in observations)


def test_a_patient_without_those_fields_has_no_gender_and_no_extension(cast: Cast):
    client, _ = full_client(cast.harbour, cast.bob, cast.tess, n_visits=1)
    (person,) = _resources(client_bundle(cast.harbour, client, with_diagnoses=False), "Patient")
    assert "gender" not in person and "extension" not in person


def test_it_leaves_conditions_out_for_roles_that_may_not_read_diagnoses(cast: Cast):
    client, _ = full_client(cast.harbour, cast.bob, cast.tess, n_visits=1)
    response = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/fhir.json")
    assert response.status_code == 200
    assert not _resources(json.loads(response.content), "Condition")
    assert cast.browser_for(cast.charlie).get(f"/clients/{client.pk}/fhir.json").status_code == 404


def test_it_imports_the_us_core_phq9_response_and_scores_it(cast: Cast):
    client = make_client(cast.harbour)
    [item] = do_import_fhir(
        actor_of(cast.bob), client, _about_dana(_load("QuestionnaireResponse-phq-9-example.json"))
    )
    administration = Administration.objects.get(pk=item.administration.pk)
    # The example's own total item (LOINC 44261-6) says 12.
    assert (administration.instrument_id, administration.total, administration.mode) == (
        "phq9",
        12,
        Mode.IMPORT,
    )


def test_it_imports_the_sdc_example_with_its_questionnaire_and_raises_the_risk_alert(cast: Cast):
    client = make_client(cast.harbour)
    bundle = _about_dana(
        _load("questionnaire-sdc-profile-example-PHQ9.json"),
        _load("questionnaireresponse-sdc-profile-example-PHQ9.json"),
        patient_id="proband",
    )
    [item] = do_import_fhir(actor_of(cast.bob), client, bundle)
    assert item.instrument_id == "phq9"
    # Item 9 answered "Several days": the risk item raises an alert as on every other path.
    assert RiskAlert.objects.filter(client=client, item="phq9-9").exists()
    assert item.alerts >= 1


def test_it_imports_all_or_nothing_with_a_clear_error(cast: Cast):
    client = make_client(cast.harbour)
    good = _load("QuestionnaireResponse-phq-9-example.json")
    bad = json.loads(json.dumps(good))
    bad["item"][0]["answer"][0]["valueCoding"]["code"] = "LA9999-9"
    bundle = _about_dana(good, bad)
    with pytest.raises(FhirImportError, match="Response 2"):
        do_import_fhir(actor_of(cast.bob), client, bundle)
    assert not Administration.objects.filter(client=client).exists()
    with pytest.raises(FhirImportError, match="Expected a QuestionnaireResponse or a Bundle"):
        do_import_fhir(actor_of(cast.bob), client, {"resourceType": "Patient"})


def test_it_logs_imports_and_exports_without_their_content(cast: Cast, log_events):
    client = make_client(cast.harbour)
    good = _about_dana(_load("QuestionnaireResponse-phq-9-example.json"))
    do_import_fhir(actor_of(cast.bob), client, good)
    with pytest.raises(FhirImportError):
        do_import_fhir(actor_of(cast.bob), client, {"resourceType": "Patient"})
    client_bundle(cast.harbour, client, with_diagnoses=False)
    [done] = log_events("import_finished")
    assert (done["kind"], done["responses"]) == ("fhir", 1) and done["duration_ms"] >= 0
    [failed] = log_events("import_failed")
    assert (failed["kind"], failed["reason"]) == ("fhir", "invalid")
    [export] = log_events("export_finished")
    assert export["kind"] == "fhir_bundle" and export["resources"] >= 3
    assert "Patient" not in str(log_events("import_failed"))


def test_it_round_trips_scores_through_export_and_import(cast: Cast):
    source, _ = full_client(cast.harbour, cast.bob, cast.tess, n_visits=2)
    target = make_client(cast.northside)
    bundle = client_bundle(cast.harbour, source, with_diagnoses=True)
    do_import_fhir(actor_of(cast.charlie), target, bundle)

    def scores(client):
        return sorted(
            (a.instrument_id, a.total, a.completed_at)
            for a in Administration.objects.filter(client=client)
        )

    assert scores(target) == scores(source)


def test_it_exports_and_imports_on_the_command_line(cast: Cast, tmp_path):
    client, _ = full_client(cast.harbour, cast.bob, cast.tess, n_visits=1)
    out = tmp_path / "b.json"
    call_command("export", "fhir", str(client.pk), "--out", str(out), "--clinic", "harbour")
    moved = make_client(cast.northside)  # the same person, registered at another clinic
    call_command("import", "fhir", str(out), "--client", str(moved.pk), "--clinic", "northside")
    assert Administration.objects.filter(client=moved).count() == 3
    other = make_client(cast.harbour, given_name="Other")
    (tmp_path / "x.json").write_text("not json")
    with pytest.raises(CommandError) as error:
        call_command(
            "import",
            "fhir",
            str(tmp_path / "x.json"),
            "--client",
            str(other.pk),
            "--clinic",
            "harbour",
        )
    assert error.value.returncode == 2


def test_it_exchanges_fhir_through_the_api(cast: Cast):
    from django.test import Client as HttpClient

    client = make_client(cast.harbour)
    _, token = do_create_token(actor_of(cast.bob), "t")
    http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/v1/interop/clients/{client.pk}/fhir"
    posted = http.post(
        url,
        _about_dana(_load("QuestionnaireResponse-phq-9-example.json")),
        content_type="application/json",
    )
    assert posted.status_code == 201, posted.content
    assert posted.json()[0]["total"] == 12
    bad = http.post(url, {"resourceType": "Patient"}, content_type="application/json")
    assert bad.status_code == 422
    assert http.get(url).json()["resourceType"] == "Bundle"
    assert http.get(f"/api/v1/reports/clients/{client.pk}/progress.pdf").status_code == 422


@pytest.mark.parametrize(
    "damage",
    [
        lambda qr: qr.__setitem__("item", ["not an item"]),
        lambda qr: qr["item"][0].__setitem__("answer", {"valueInteger": 1}),
        lambda qr: qr.__setitem__("status", 7),
    ],
)
def test_it_refuses_structurally_broken_fhir_with_a_message_not_a_crash(cast: Cast, damage):
    client = make_client(cast.harbour)
    broken = _load("QuestionnaireResponse-phq-9-example.json")
    damage(broken)
    with pytest.raises(FhirImportError, match="Response 1 is not valid FHIR"):
        do_import_fhir(actor_of(cast.bob), client, broken)
    assert not Administration.objects.filter(client=client).exists()


@pytest.mark.parametrize("depth", [50_000, 900])
def test_a_deeply_nested_upload_is_refused_with_a_message(cast: Cast, depth: int):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client as HttpClient

    client = make_client(cast.harbour)
    nested = '{"resourceType": "QuestionnaireResponse", "item": ' + "[" * depth + "]" * depth + "}"
    file = SimpleUploadedFile("qr.json", nested.encode(), content_type="application/json")
    page = cast.browser_for(cast.bob).post(f"/clients/{client.pk}/fhir-import/", {"file": file})
    assert page.status_code == 200
    assert "nested more than 64 levels" in page.content.decode()
    _, token = do_create_token(actor_of(cast.bob), "t")
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/v1/interop/clients/{client.pk}/fhir"
    response = api.post(url, nested, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The JSON is nested more than 64 levels deep."
    assert not Administration.objects.exists()


def test_the_depth_bound_measures_without_recursion():
    from touchstone.lib.json_limits import depth_within

    deep: list = []
    node = deep
    for _ in range(100_000):
        node.append([])
        node = node[0]
    assert not depth_within(deep, 64)
    assert depth_within({"a": [{"b": [1, 2]}]}, 4) and not depth_within({"a": [{"b": [1]}]}, 3)
