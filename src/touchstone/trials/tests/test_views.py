"""The study pages: design to registration, enrolment that reveals nothing in advance, the
analysis page and its exports; refusals for roles without the permission."""

from __future__ import annotations

import json

from django.utils import timezone

from touchstone.conftest import Cast
from touchstone.science.trials import sequence
from touchstone.trials.models import AllocationSeal, ControlledStudy, Enrolment, ProtocolVersion
from touchstone.trials.tests.factories import PROTOCOL, make_study, scored_client

FORM = {k: ("" if v is None else str(v)) for k, v in PROTOCOL.items()}


def test_it_designs_writes_consent_and_registers_through_the_pages(cast: Cast):
    http = cast.browser_for(cast.alice)
    response = http.post("/trials/new/", FORM)
    study = ControlledStudy.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/trials/{study.pk}/consent/"
    http.post(f"/trials/{study.pk}/consent/", {"text": "I agree to take part."})
    http.post(f"/trials/{study.pk}/register/")
    version = ProtocolVersion.objects.get(study=study)
    page = http.get(f"/trials/{study.pk}/").content.decode()
    assert version.sha256 in page and "1 (registered)" in page


def test_a_bad_protocol_is_refused_with_a_message(cast: Cast):
    http = cast.browser_for(cast.alice)
    response = http.post("/trials/new/", FORM | {"ratio": "1:x"})
    assert response.status_code == 200
    assert "Allocation ratio" in response.content.decode()
    assert not ControlledStudy.objects.exists()


def test_the_enrolment_pages_never_show_an_allocation_before_it_is_made(cast: Cast):
    study = make_study(cast.harbour)
    seal = AllocationSeal.objects.get(study=study)
    upcoming = sequence(bytes.fromhex(seal.seed_hex), "all", 12, (1, 1), (1, 2, 3))
    http = cast.browser_for(cast.bob)
    enrolling_pages = [
        http.get(f"/trials/{study.pk}/enrol/"),
        http.get(f"/trials/{study.pk}/enrolments/"),
        http.get("/trials/"),
    ]
    for response in [*enrolling_pages, http.get(f"/trials/{study.pk}/")]:
        assert response.status_code == 200
        assert seal.seed_hex not in response.content.decode()
    for response in enrolling_pages:  # no arm is named before an enrolment exists
        body = response.content.decode()
        assert "Wait-list (delayed start)" not in body
        assert "Immediate weekly massage" not in body
    client = scored_client(cast.harbour)
    response = http.post(
        f"/trials/{study.pk}/enrol/",
        {
            "client": client.pk,
            "eligible": "yes",
            "consent": "yes",
            "consented_on": timezone.localdate().isoformat(),
        },
    )
    enrolment = Enrolment.objects.get()
    assert response["Location"] == f"/trials/enrolments/{enrolment.pk}/"
    assert enrolment.arm == upcoming[0]
    shown = http.get(response["Location"]).content.decode()
    label = ["Wait-list (delayed start)", "Immediate weekly massage"][enrolment.arm]
    assert label in shown


def test_the_enrol_form_asks_for_the_date_of_consent(cast: Cast):
    study = make_study(cast.harbour)
    http = cast.browser_for(cast.bob)
    client = scored_client(cast.harbour)
    response = http.post(
        f"/trials/{study.pk}/enrol/", {"client": client.pk, "eligible": "yes", "consent": "yes"}
    )
    assert response.status_code == 200 and "date of consent" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_results_are_for_owners_and_researchers_not_for_who_enrols(cast: Cast):
    study = make_study(cast.harbour)
    for member, status in ((cast.alice, 200), (cast.rita, 200), (cast.bob, 403), (cast.tess, 403)):
        assert cast.browser_for(member).get(f"/trials/{study.pk}/analysis/").status_code == status


def test_the_analysis_page_and_exports_carry_the_registered_plan(cast: Cast):
    study = make_study(cast.harbour)
    http = cast.browser_for(cast.alice)
    page = http.get(f"/trials/{study.pk}/analysis/").content.decode()
    assert "CONSORT checklist" in page and "No estimate yet" in page
    report = json.loads(http.get(f"/trials/{study.pk}/report.json").content)
    version = ProtocolVersion.objects.get(study=study)
    assert report["registered_protocol"]["sha256"] == version.sha256
    assert report["registered_protocol"]["content"] == version.content
    assert report["consort"]["randomised"] == 0
    svg = http.get(f"/trials/{study.pk}/consort.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"Randomised (n = 0)" in svg.content
    assert http.get(f"/trials/{study.pk}/dataset.csv").content.decode() == (
        "client,arm,baseline,follow_up\n"
    )


def test_a_draft_has_no_exports(cast: Cast):
    study = make_study(cast.harbour, registered=False)
    assert cast.browser_for(cast.alice).get(f"/trials/{study.pk}/report.json").status_code == 404
