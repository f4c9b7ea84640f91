"""Claims from visits: grouped per client, coverage and rendering provider, units by the CMS
8-minute rule, diagnoses from the episode; every missing piece refused by name with nothing
written; the 837P checked by pyx12, the independent validator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from touchstone.audit.models import AuditEvent
from touchstone.care.models import Diagnosis
from touchstone.claims import actions
from touchstone.claims.models import Claim, ClaimLine, ClaimStatus, Relationship, Submission
from touchstone.claims.tests.factories import (
    billing_ready,
    charged_visit,
    clinician_of,
    diagnosed_episode,
    insured_client,
    make_coverage,
    with_npi,
)
from touchstone.claims.tests.x12check import x12_errors
from touchstone.conftest import Cast, actor_of, make_client


@pytest.fixture
def ready(cast: Cast) -> Cast:
    billing_ready(cast.harbour)
    with_npi(cast.tess)
    return cast


def _visits(cast: Cast, n: int = 2, **coverage: object) -> list:
    client = insured_client(cast.harbour, **coverage)
    episode = diagnosed_episode(cast.harbour, client, ("F41.1", "F32.A"))
    return [
        charged_visit(cast.harbour, client, episode, days_ago=7 * (i + 1), staff=cast.tess)
        for i in range(n)
    ]


def test_it_makes_one_claim_per_client_and_provider_with_8_minute_units(ready: Cast):
    visits = _visits(ready, 2)
    other = _visits(ready, 1)
    claims = actions.do_create_claims(actor_of(ready.fiona), visits + other)
    assert len(claims) == 2
    first = claims[0]
    lines = list(first.lines.order_by("position"))
    assert [line.units for line in lines] == [4, 4]  # 60 minutes: 4 units (53-67)
    assert [line.code for line in lines] == ["97124", "97124"]
    assert first.total == Decimal("190.00")
    assert first.diagnoses == ["F41.1", "F32.A"]
    assert lines[0].day < lines[1].day
    assert lines[0].pointers == "1:2"
    assert first.status == ClaimStatus.CREATED


def test_units_follow_the_cms_table_not_the_appointment(ready: Cast):
    client = insured_client(ready.harbour)
    episode = diagnosed_episode(ready.harbour, client)
    visit = charged_visit(ready.harbour, client, episode, minutes=37, staff=ready.tess)
    claim = actions.do_create_claims(actor_of(ready.fiona), [visit])[0]
    assert claim.lines.get().units == 2  # 23-37 minutes: 2 units


def test_the_837p_passes_the_independent_validator(ready: Cast):
    visits = _visits(ready, 3)
    kid = make_client(ready.harbour, given_name="Sam", date_of_birth=dt.date(2012, 5, 1))
    make_coverage(
        ready.harbour,
        kid,
        relationship=Relationship.CHILD,
        subscriber_given_name="Jane",
        subscriber_family_name="Doe",
        subscriber_date_of_birth=dt.date(1980, 1, 2),
        subscriber_sex="F",
        prior_authorization="PA-77",
        authorized_visits=12,
    )
    episode = diagnosed_episode(ready.harbour, kid, ("F43.10",))
    visits.append(charged_visit(ready.harbour, kid, episode, code="97140", staff=ready.tess))
    text, submission = actions.do_export_837p(actor_of(ready.fiona), visits)
    assert x12_errors(text) == []
    assert "SV1*HC:97140*95*UN*4***1~" in text
    assert "HI*ABK:F411*ABF:F32A~" in text
    assert "REF*G1*PA-77~" in text
    assert "PAT*19~" in text
    assert submission.claims.count() == 2
    assert set(Claim.objects.values_list("status", flat=True)) == {ClaimStatus.SUBMITTED}
    assert Submission.objects.get().content == text


def test_the_validator_is_not_a_rubber_stamp(ready: Cast):
    text, _ = actions.do_export_837p(actor_of(ready.fiona), _visits(ready, 1))
    broken = "\n".join(line for line in text.splitlines() if not line.startswith("NM1*PR"))
    assert x12_errors(broken) != []


def test_visits_already_claimed_reuse_their_claim(ready: Cast):
    visits = _visits(ready, 1)
    first = actions.claims_for_visits(actor_of(ready.fiona), visits)
    again = actions.claims_for_visits(actor_of(ready.fiona), visits)
    assert first == again and Claim.objects.count() == 1
    with pytest.raises(actions.ClaimError, match="already on claim"):
        actions.do_create_claims(actor_of(ready.fiona), visits)


def _refused(cast: Cast, visits: list) -> list[str]:
    before = (Claim.objects.count(), ClaimLine.objects.count(), AuditEvent.objects.count())
    with pytest.raises(actions.ClaimError) as caught:
        actions.do_create_claims(actor_of(cast.fiona), visits)
    assert (Claim.objects.count(), ClaimLine.objects.count(), AuditEvent.objects.count()) == before
    return caught.value.problems


def test_a_missing_member_id_is_refused_by_name(ready: Cast):
    problems = _refused(ready, _visits(ready, 1, member_id=""))
    assert any("no member ID" in p for p in problems)


def test_a_provider_without_npi_is_refused_by_name(ready: Cast):
    client = insured_client(ready.harbour)
    episode = diagnosed_episode(ready.harbour, client)
    visit = charged_visit(ready.harbour, client, episode, staff=ready.bob)
    problems = _refused(ready, [visit])
    assert any("has no NPI" in p for p in problems)


def test_no_diagnosis_means_no_pointer_and_is_refused(ready: Cast):
    client = insured_client(ready.harbour)
    episode = diagnosed_episode(ready.harbour, client, ())
    visit = charged_visit(ready.harbour, client, episode, staff=ready.tess)
    problems = _refused(ready, [visit])
    assert any("diagnosis pointer" in p for p in problems)


def test_a_header_code_is_refused_with_its_subcodes(ready: Cast):
    client = insured_client(ready.harbour)
    episode = diagnosed_episode(ready.harbour, client, ())
    # Written past the form's check, as an old import could have: F41 is a category.
    Diagnosis.objects.create(
        clinic=ready.harbour,
        episode=episode,
        code="F41",
        source="referring",
        entered_by=clinician_of(ready.harbour),
    )
    visit = charged_visit(ready.harbour, client, episode, staff=ready.tess)
    problems = _refused(ready, [visit])
    assert any("F41 is a header code, not billable" in p and "F41.0" in p for p in problems)


def test_diagnoses_entered_by_someone_unlicensed_do_not_count(ready: Cast):
    client = insured_client(ready.harbour)
    episode = diagnosed_episode(ready.harbour, client, ())
    Diagnosis.objects.create(
        clinic=ready.harbour,
        episode=episode,
        code="F41.1",
        source="clinic",
        entered_by=ready.tess,
    )
    visit = charged_visit(ready.harbour, client, episode, staff=ready.tess)
    assert any("diagnosis pointer" in p for p in _refused(ready, [visit]))


def test_every_problem_is_listed_at_once(ready: Cast):
    ready.harbour.npi = ""
    ready.harbour.save(update_fields=["npi"])
    client = make_client(ready.harbour)  # no coverage
    visit = charged_visit(ready.harbour, client, diagnosed_episode(ready.harbour, client))
    problems = _refused(ready, [visit, *_visits(ready, 1, member_id="")])
    assert any("billing NPI" in p for p in problems)
    assert any("no primary coverage" in p for p in problems)
    assert any("no member ID" in p for p in problems)


def test_prior_authorisation_visit_count_is_enforced(ready: Cast):
    visits = _visits(ready, 3, prior_authorization="PA-1", authorized_visits=2)
    problems = _refused(ready, visits)
    assert any("allows 2 visits" in p for p in problems)


def test_a_package_visit_has_nothing_to_claim(ready: Cast):
    from touchstone.billing.actions import do_sell_package
    from touchstone.billing.tests.factories import plan

    client = insured_client(ready.harbour)
    do_sell_package(actor_of(ready.fiona), client, plan(ready.harbour))
    visit = charged_visit(ready.harbour, client, diagnosed_episode(ready.harbour, client))
    assert any("prepaid package" in p for p in _refused(ready, [visit]))


def test_claims_are_audited(ready: Cast):
    claim = actions.do_create_claims(actor_of(ready.fiona), _visits(ready, 1))[0]
    assert AuditEvent.objects.filter(
        object_type__endswith="claim", object_id=str(claim.pk)
    ).exists()
