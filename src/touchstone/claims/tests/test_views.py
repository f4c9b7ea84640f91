"""The claims pages: the front desk keeps coverage, makes claims, downloads the 837P and the
CMS-1500 and imports remittances; the owner keeps provider numbers; other roles and other
clinics are refused; bad input is a message and writes nothing."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from touchstone.care.models import Visit
from touchstone.claims.models import Claim, Coverage, ProviderNumbers, Remittance
from touchstone.claims.tests.factories import (
    billing_ready,
    charged_visit,
    diagnosed_episode,
    insured_client,
    make_claim,
    make_payer,
    with_npi,
)
from touchstone.claims.tests.x12check import x12_errors
from touchstone.conftest import Cast, make_client


def _ready_visit(cast: Cast) -> int:
    billing_ready(cast.harbour)
    with_npi(cast.tess)
    client = insured_client(cast.harbour)
    return charged_visit(
        cast.harbour, client, diagnosed_episode(cast.harbour, client), staff=cast.tess
    ).pk


def test_the_front_desk_makes_and_sends_claims(cast: Cast):
    visit = _ready_visit(cast)
    fiona = cast.browser_for(cast.fiona)
    page = fiona.get("/claims/")
    assert page.status_code == 200 and f'value="{visit}"'.encode() in page.content
    assert b"F41" not in page.content  # no diagnosis on the page
    fiona.post("/claims/create/", {"ids": [visit]})
    claim = Claim.objects.get()
    response = fiona.post("/claims/837p/", {"ids": [claim.pk]})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert x12_errors(response.content.decode()) == []
    pdf = fiona.get(f"/claims/{claim.pk}/cms1500/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_front_desk_prints_the_claims_diagnosis_codes_but_opens_no_diagnosis_page(
    cast: Cast,
):
    """The policy (docs/billing.md, docs/architecture.md): a claim needs the referring
    provider's ICD-10-CM codes, so the claim documents the front desk prints and sends carry
    them; the diagnoses themselves (the episode, its diagnosis form) stay closed to them."""
    visit = Visit.objects.get(pk=_ready_visit(cast))
    fiona = cast.browser_for(cast.fiona)
    fiona.post("/claims/create/", {"ids": [visit.pk]})
    claim = Claim.objects.get()
    pdf = fiona.get(f"/claims/{claim.pk}/cms1500/").content
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "A. F411" in text  # box 21 (the form takes codes without the dot)
    assert "ABK:F411" in fiona.post("/claims/837p/", {"ids": [claim.pk]}).content.decode()
    assert fiona.get(f"/care/episodes/{visit.episode_id}/").status_code == 403
    new_diagnosis = f"/care/episodes/{visit.episode_id}/diagnoses/new/"
    assert fiona.get(new_diagnosis).status_code == 403


def test_a_refused_claim_is_a_message_and_writes_nothing(cast: Cast):
    visit = _ready_visit(cast)
    Coverage.objects.update(member_id="")
    response = cast.browser_for(cast.fiona).post("/claims/create/", {"ids": [visit]}, follow=True)
    assert b"no member ID" in response.content
    assert Claim.objects.count() == 0


def test_another_clinics_visit_cannot_be_ticked(cast: Cast):
    billing_ready(cast.northside)
    client = insured_client(cast.northside)
    visit = charged_visit(cast.northside, client, diagnosed_episode(cast.northside, client))
    cast.browser_for(cast.fiona).post("/claims/create/", {"ids": [visit.pk]})
    assert Claim.objects.count() == 0


def test_roles_and_outsiders_are_refused(cast: Cast):
    claim = make_claim(cast.harbour)
    for member in (cast.tess, cast.bob, cast.rita):
        assert cast.browser_for(member).get("/claims/").status_code == 403
    assert cast.browser_for(cast.charlie).get(f"/claims/{claim.pk}/cms1500/").status_code == 404


def test_the_front_desk_keeps_coverage(cast: Cast):
    client = make_client(cast.harbour)
    payer = make_payer(cast.harbour)
    fiona = cast.browser_for(cast.fiona)
    data = {
        "payer": payer.pk, "member_id": "M-1", "priority": "P", "relationship": "child",
        "subscriber_sex": "U", "valid_from": "2025-01-01",
    }  # fmt: skip
    response = fiona.post(f"/clients/{client.pk}/coverage/", data)
    assert response.status_code == 200 and b"Name the subscriber" in response.content
    data |= {"subscriber_given_name": "Jo", "subscriber_family_name": "Example"}
    assert fiona.post(f"/clients/{client.pk}/coverage/", data).status_code == 302
    coverage = Coverage.objects.get()
    assert coverage.history.count() == 1
    fiona.post(f"/claims/coverage/{coverage.pk}/", data | {"member_id": "M-2"})
    coverage.refresh_from_db()
    assert coverage.member_id == "M-2" and coverage.history.count() == 2


def test_a_malformed_835_upload_posts_nothing(cast: Cast):
    make_claim(cast.harbour)
    upload = SimpleUploadedFile("r.835", b"ISA*" + b"x" * 200)
    response = cast.browser_for(cast.fiona).post("/claims/remittances/", {"file": upload})
    assert response.status_code == 200 and b"Nothing was posted" in response.content
    assert Remittance.objects.count() == 0


def test_the_owner_keeps_provider_numbers_with_a_checked_npi(cast: Cast):
    alice = cast.browser_for(cast.alice)
    bad = {"form": "provider", "staff": cast.tess.pk, "npi": "1234567890", "taxonomy": "225700000X"}
    assert b"check digit" in alice.post("/claims/settings/", bad).content
    assert alice.post("/claims/settings/", bad | {"npi": "1245319599"}).status_code == 302
    assert ProviderNumbers.objects.get().npi == "1245319599"
    assert cast.browser_for(cast.fiona).get("/claims/settings/").status_code == 403
