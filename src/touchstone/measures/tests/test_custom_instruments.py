"""A clinic's own questionnaire (issue 15 §1): added through the web as a FHIR Questionnaire
plus scoring block, checked against the JSON Schema with clear errors, previewed and
test-scored as a draft, made live, given, scored, marked "not validated" and exported to FHIR."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from touchstone.conftest import Cast, actor_of, make_client
from touchstone.instruments.models import CustomInstrument
from touchstone.measures.actions import (
    do_create_custom_instrument,
    do_publish_custom_instrument,
    do_save_answers,
    do_start_administration,
)
from touchstone.measures.models import Administration

OPTIONS = [
    {
        "valueCoding": {"system": "https://clinic.invalid/answers", "code": code, "display": text},
        "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": value}
        ],
    }
    for value, (code, text) in enumerate(
        [("never", "Never"), ("some", "Some days"), ("most", "Most days"), ("daily", "Every day")]
    )
]

DEFINITION: dict[str, Any] = {
    "resourceType": "Questionnaire",
    "id": "unwind",
    "url": "https://clinic.invalid/fhir/Questionnaire/unwind",
    "version": "1.0.0",
    "title": "Harbour unwind check",
    "status": "active",
    "validated": False,
    "item": [
        {"linkId": f"unwind-{n}", "type": "choice", "text": text, "answerOption": OPTIONS}
        for n, text in enumerate(
            ["I could switch off after work", "My shoulders felt loose", "I slept through"],
            start=1,
        )
    ],
    "licence": {
        "status": "own",
        "text_included": True,
        "holder": "Harbour Massage",
        "note": "The clinic's own questionnaire.",
        "source": "Harbour Massage, 2026",
    },
    "scoring": {
        "items": ["unwind-1", "unwind-2", "unwind-3"],
        "reverse": [],
        "total": {
            "code": {"system": "https://clinic.invalid/codes", "code": "unwind-total"},
            "min": 0,
            "max": 9,
            "source": "Harbour Massage",
        },
        "missing": {
            "max_missing": 0,
            "prorate": False,
            "note": "Every item needed.",
            "source": "Harbour Massage",
        },
        "risk": [],
    },
    "change": {"direction": "higher_is_better"},
}


def test_an_owner_adds_previews_tests_publishes_and_it_is_given_and_exported(cast: Cast):
    http = cast.browser_for(cast.alice)
    saved = http.post("/measures/instruments/own/new/", {"definition": json.dumps(DEFINITION)})
    custom = CustomInstrument.objects.get()
    assert saved["Location"] == f"/measures/instruments/own/{custom.pk}/"
    assert (custom.instrument_id, custom.status) == (f"c{cast.harbour.pk}-unwind", "draft")
    preview = http.get(saved["Location"]).content.decode()
    assert "My shoulders felt loose" in preview and "Some days" in preview
    assert "Not validated" in preview
    # A draft cannot be given yet.
    client = make_client(cast.harbour)
    with pytest.raises(ValidationError, match="Unknown instrument"):
        do_start_administration(actor_of(cast.tess), client, custom.instrument_id, "clinic")
    tested = http.post(
        saved["Location"], {"unwind-1": "1", "unwind-2": "2", "unwind-3": "3", "test": "1"}
    ).content.decode()
    assert "Test score: 6 of 9" in tested
    assert not Administration.objects.exists()  # test-scoring stores nothing
    http.post(saved["Location"], {"publish": "1"})
    custom.refresh_from_db()
    assert custom.is_live and custom.published_by == cast.alice
    # Given in the clinic like any instrument, scored, marked not validated.
    tess = cast.browser_for(cast.tess)
    form = tess.get(f"/clients/{client.pk}/questionnaires/new/").content.decode()
    assert "Harbour unwind check (clinic&#x27;s own, not validated)" in form
    tess.post(
        f"/clients/{client.pk}/questionnaires/new/",
        {"instrument_id": custom.instrument_id, "mode": "clinic"},
    )
    a = Administration.objects.get()
    tess.post(
        f"/measures/administrations/{a.pk}/",
        {"unwind-1": "3", "unwind-2": "2", "unwind-3": "2", "finish": "1"},
    )
    a.refresh_from_db()
    assert (a.status, a.total, a.instrument_id) == ("completed", 7, custom.instrument_id)
    bob = cast.browser_for(cast.bob)
    result = bob.get(f"/measures/administrations/{a.pk}/result/").content.decode()
    assert "Not validated" in result and '7 <span class="muted">of 9</span>' in result
    progress = bob.get(f"/clients/{client.pk}/progress/").content.decode()
    assert "Harbour unwind check" in progress and "Not validated" in progress
    bundle = bob.get(f"/clients/{client.pk}/fhir.json").json()
    resources = [e["resource"] for e in bundle["entry"]]
    questionnaire = next(r for r in resources if r["resourceType"] == "Questionnaire")
    assert questionnaire["title"] == "Harbour unwind check"
    assert questionnaire["description"].startswith("Not validated")
    score = next(
        r
        for r in resources
        if r["resourceType"] == "Observation" and r["code"]["coding"][0]["code"] == "unwind-total"
    )
    assert score["valueQuantity"]["value"] == 7 and score["note"][0]["text"].startswith(
        "Not validated"
    )
    response = next(r for r in resources if r["resourceType"] == "QuestionnaireResponse")
    assert len(response["item"]) == 3


def _broken(**changes: Any) -> str:
    data = copy.deepcopy(DEFINITION)
    for path, value in changes.items():
        target = data
        *parents, last = path.split("__")
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[last] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{oops", "Not valid JSON (line 1"),
        (_broken(validated=True), "is not validated; set &quot;validated&quot;: false"),
        (_broken(scoring__total__max=10), "scoring.total: declared range 0-10 differs"),
        (
            _broken(scoring__items=["unwind-1", "unwind-9"]),
            "&#x27;unwind-9&#x27; is not an answerable",
        ),
        (_broken(id="Bad Id"), "id"),
        (_broken(item__1__text=""), "every item needs its text (unwind-2)"),
    ],
)
def test_a_bad_definition_gets_a_clear_message_and_nothing_is_stored(
    cast: Cast, body: str, message: str
):
    response = cast.browser_for(cast.alice).post(
        "/measures/instruments/own/new/", {"definition": body}
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not CustomInstrument.objects.exists()


def test_a_clinics_own_questionnaire_stays_in_that_clinic(cast: Cast):
    custom = do_create_custom_instrument(actor_of(cast.alice), copy.deepcopy(DEFINITION))
    cast.browser_for(cast.alice).post(f"/measures/instruments/own/{custom.pk}/", {"publish": "1"})
    assert (
        cast.browser_for(cast.charlie).get(f"/measures/instruments/own/{custom.pk}/").status_code
        == 404
    )
    outsider_client = make_client(cast.northside)
    with pytest.raises(ValidationError, match="Unknown instrument"):
        do_start_administration(
            actor_of(cast.charlie), outsider_client, custom.instrument_id, "clinic"
        )
    form = cast.browser_for(cast.charlie).get(f"/clients/{outsider_client.pk}/questionnaires/new/")
    assert custom.instrument_id not in form.content.decode()
    for member in (cast.bob, cast.tess, cast.fiona):
        assert cast.browser_for(member).get("/measures/instruments/own/new/").status_code == 403


def test_the_progress_page_reads_a_clinics_own_questionnaire_once_however_often_given(
    cast: Cast,
):
    # Its definition is a query (it lives in the database): the table of every
    # administration looked it up once per row for the row's name.
    owner = actor_of(cast.alice)
    custom = do_create_custom_instrument(owner, copy.deepcopy(DEFINITION))
    do_publish_custom_instrument(owner, custom)
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.bob)

    def give() -> None:
        a = do_start_administration(actor_of(cast.tess), client, custom.instrument_id, "clinic")
        answers = {"unwind-1": 1, "unwind-2": 2, "unwind-3": 3}
        do_save_answers(actor_of(cast.tess), a, answers, complete=True)

    def queries() -> int:
        with CaptureQueriesContext(connection) as read:
            page = http.get(f"/clients/{client.pk}/progress/")
        assert page.content.decode().count("Harbour unwind check (not validated)") >= 2
        return len(read)

    give()
    once = queries()
    for _ in range(3):
        give()
    assert queries() == once
