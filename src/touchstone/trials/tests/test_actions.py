"""Registration, amendments, consent versions and enrolment with concealed allocation."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from touchstone.audit.models import AuditEvent
from touchstone.care.tests.factories import make_episode
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.science.trials import allocation, sequence
from touchstone.trials import actions
from touchstone.trials.models import (
    AllocationSeal,
    ConsentText,
    Enrolment,
    FrozenError,
    ProtocolVersion,
    Screening,
    Status,
    canonical_json,
)
from touchstone.trials.tests.factories import PROTOCOL, make_study, scored_client

TODAY = dt.date(2026, 1, 5)


def enrol(cast: Cast, study, client, **kwargs):
    values = {"eligible": True, "consented": True, "consented_on": timezone.localdate()}
    return actions.do_enrol_client(actor_of(cast.bob), study, client, **(values | kwargs))


def test_it_freezes_and_hashes_the_protocol_at_registration(cast: Cast):
    study = make_study(cast.harbour)
    assert study.status == Status.REGISTERED
    v1 = ProtocolVersion.objects.get(study=study)
    assert v1.number == 1
    assert v1.sha256 == hashlib.sha256(canonical_json(v1.content)).hexdigest()
    seal = AllocationSeal.objects.get(study=study)
    assert (
        v1.content["randomisation"]["seed_sha256"]
        == hashlib.sha256(bytes.fromhex(seal.seed_hex)).hexdigest()
    )
    # R: power.t.test(delta = 3, sd = 5, power = 0.8, strict = TRUE)$n = 44.58579; x 0.75
    assert v1.content["sample_size"]["n_per_arm"] == [34, 34]
    with pytest.raises(FrozenError):
        v1.save()
    with pytest.raises(FrozenError):
        v1.delete()
    assert AuditEvent.objects.filter(object_type="trials.protocolversion", detail="registered")


def test_it_refuses_to_register_without_a_consent_text_or_twice(cast: Cast):
    actor = actor_of(cast.alice)
    study = actions.do_create_study(actor, PROTOCOL)
    with pytest.raises(ValidationError, match="consent"):
        actions.do_register_study(actor, study)
    actions.do_add_consent_text(actor, study, "I agree.")
    actions.do_register_study(actor, study)
    with pytest.raises(ValidationError, match="already"):
        actions.do_register_study(actor, study)


def test_it_keeps_changes_after_registration_as_hashed_amendments(cast: Cast):
    study = make_study(cast.harbour)
    actor = actor_of(cast.alice)
    with pytest.raises(ValidationError, match="reason"):
        actions.do_change_protocol(actor, study, PROTOCOL | {"weeks": 10})
    v2 = actions.do_change_protocol(actor, study, PROTOCOL | {"weeks": 10}, "Slow recruitment")
    v1 = ProtocolVersion.objects.get(study=study, number=1)
    assert v2.number == 2 and v2.reason == "Slow recruitment"
    assert v2.sha256 != v1.sha256 and v1.content["primary_outcome"]["weeks"] == 8
    assert v2.content["randomisation"]["seed_sha256"] == v1.content["randomisation"]["seed_sha256"]
    with pytest.raises(ValidationError, match="randomisation"):
        actions.do_change_protocol(actor, study, PROTOCOL | {"ratio": "2:1"}, "More treated")
    with pytest.raises(ValidationError, match="Nothing differs"):
        actions.do_change_protocol(actor, study, PROTOCOL | {"weeks": 10}, "Again")


def test_a_draft_is_edited_in_place_without_versions(cast: Cast):
    actor = actor_of(cast.alice)
    study = actions.do_create_study(actor, PROTOCOL)
    assert actions.do_change_protocol(actor, study, PROTOCOL | {"weeks": 6}) is None
    study.refresh_from_db()
    assert study.draft["primary_outcome"]["weeks"] == 6
    assert not ProtocolVersion.objects.filter(study=study).exists()


def test_only_designers_design(cast: Cast):
    with pytest.raises(PermissionError):
        actions.do_create_study(actor_of(cast.tess), PROTOCOL)


def test_consent_texts_are_versioned(cast: Cast):
    study = make_study(cast.harbour)
    actions.do_add_consent_text(actor_of(cast.bob), study, "Version two.")
    texts = list(ConsentText.objects.filter(study=study))
    assert [t.version for t in texts] == [2, 1]
    assert texts[0].sha256 == hashlib.sha256(b"Version two.").hexdigest()
    with pytest.raises(FrozenError):
        texts[1].save()


def test_it_allocates_from_the_sealed_sequence_only_at_enrolment(cast: Cast):
    study = make_study(cast.harbour)
    seed = bytes.fromhex(AllocationSeal.objects.get(study=study).seed_hex)
    enrolments = [enrol(cast, study, scored_client(cast.harbour)) for _ in range(8)]
    assert [e.position for e in enrolments] == list(range(8))
    assert [e.arm for e in enrolments] == sequence(seed, "all", 8, (1, 1), (1, 2, 3))
    assert all(e.consent.version == 1 and e.stratum == "all" for e in enrolments)
    events = AuditEvent.objects.filter(object_type="trials.enrolment", action="create")
    assert events.count() == 8 and all("randomised" in e.detail for e in events)


def test_it_stratifies_by_the_baseline_when_the_protocol_says_so(cast: Cast):
    study = make_study(cast.harbour, stratify_baseline_at=15)
    seed = bytes.fromhex(AllocationSeal.objects.get(study=study).seed_hex)
    high = enrol(cast, study, scored_client(cast.harbour, total=20))
    low = enrol(cast, study, scored_client(cast.harbour, total=11))
    assert (high.stratum, low.stratum) == ("baseline=high", "baseline=low")
    assert (high.position, low.position) == (0, 0)
    assert low.arm == allocation(seed, "baseline=low", 0, (1, 1), (1, 2, 3))


def test_an_excluded_client_is_screened_and_never_allocated(cast: Cast):
    study = make_study(cast.harbour)
    out = enrol(cast, study, make_client(cast.harbour), eligible=False)
    assert isinstance(out, Screening) and out.exclusion_reason == "not_eligible"
    declined = enrol(cast, study, make_client(cast.harbour), consented=False)
    assert declined.exclusion_reason == "declined"
    assert not Enrolment.objects.filter(study=study).exists()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("no_baseline", "baseline"),
        ("old_baseline", "baseline"),
        ("draft", "registered"),
        ("twice", "already assessed"),
        ("reason_for_enrolled", "exclusion reason"),
    ],
)
def test_it_refuses_enrolments_it_cannot_make_and_writes_nothing(cast: Cast, setup, message):
    study = make_study(cast.harbour, registered=setup != "draft")
    client = make_client(cast.harbour)
    kwargs = {}
    if setup == "old_baseline":
        scored_client(cast.harbour, at=timezone.now() - dt.timedelta(days=31), client=client)
    elif setup in ("draft", "twice", "reason_for_enrolled"):
        scored_client(cast.harbour, client=client)
    if setup == "twice":
        enrol(cast, study, client)
    if setup == "reason_for_enrolled":
        kwargs = {"exclusion_reason": "other"}
    before = Screening.objects.count(), Enrolment.objects.count()
    with pytest.raises(ValidationError, match=message):
        enrol(cast, study, client, **kwargs)
    assert (Screening.objects.count(), Enrolment.objects.count()) == before


def test_only_clinicians_enrol(cast: Cast):
    study = make_study(cast.harbour)
    for member in (cast.alice, cast.tess, cast.fiona):
        with pytest.raises(PermissionError):
            actions.do_enrol_client(
                actor_of(member),
                study,
                scored_client(cast.harbour),
                eligible=True,
                consented=True,
                consented_on=timezone.localdate(),
            )


def test_it_refuses_another_clinics_client(cast: Cast):
    study = make_study(cast.harbour)
    with pytest.raises(ValidationError):
        enrol(cast, study, scored_client(cast.northside))


def test_enrolment_puts_the_primary_outcome_in_the_measurement_plan(cast: Cast):
    study = make_study(cast.harbour)
    client = scored_client(cast.harbour)
    episode = make_episode(cast.harbour, client, plan_periodic=["gad7"], plan_every_weeks=6)
    enrolment = enrol(cast, study, client)
    episode.refresh_from_db()
    assert enrolment.episode_id == episode.pk
    assert episode.plan_periodic == ["gad7", "phq9"]
    assert episode.plan_every_weeks == 4  # a score falls inside the +/- 14-day window


def test_it_records_whether_the_allocated_care_was_received(cast: Cast):
    study = make_study(cast.harbour)
    enrolment = enrol(cast, study, scored_client(cast.harbour))
    with pytest.raises(ValidationError, match="why"):
        actions.do_record_receipt(actor_of(cast.bob), enrolment, False, "")
    assert actions.do_record_receipt(actor_of(cast.bob), enrolment, False, "Moved away") == [
        "not_received_reason",
        "received",
    ]
