"""The one audited write: validate, save with its version and its event, as the actor."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from touchstone.audit import writes
from touchstone.audit.models import AuditEvent
from touchstone.care.models import MEDICATION_FIELDS, Medication
from touchstone.conftest import Cast, actor_of, make_client


def _medication(cast: Cast) -> Medication:
    client = make_client(cast.harbour)
    return writes.create(
        actor_of(cast.bob),
        Medication(clinic=cast.harbour, client=client),
        {"name": "Sertraline", "drug_class": "ssri", "dose": "50 mg"},
        fields=MEDICATION_FIELDS,
    )


def test_it_creates_with_a_version_and_an_event_by_the_actor(cast: Cast):
    medication = _medication(cast)
    event = AuditEvent.objects.get()
    assert (event.action, event.object_type, event.object_id) == (
        "create",
        "care.medication",
        str(medication.pk),
    )
    assert event.actor == cast.bob.user
    assert medication.history.get().history_user == cast.bob.user


def test_it_records_the_names_of_changed_fields_and_nothing_when_nothing_changed(cast: Cast):
    medication = _medication(cast)
    tess = actor_of(cast.tess)
    assert writes.update(tess, medication, {"dose": "100 mg"}, fields=MEDICATION_FIELDS) == ["dose"]
    assert writes.update(tess, medication, {"dose": "100 mg"}, fields=MEDICATION_FIELDS) == []
    update = AuditEvent.objects.get(action="update")
    assert (update.actor, update.detail) == (cast.tess.user, "fields: dose")
    assert "100" not in update.detail  # names, never values
    assert medication.history.count() == 2
    assert medication.history.latest().history_user == cast.tess.user


def test_it_saves_nothing_on_bad_data_or_an_unknown_field(cast: Cast):
    client = make_client(cast.harbour)
    bob = actor_of(cast.bob)
    with pytest.raises(ValidationError):
        writes.create(
            bob,
            Medication(clinic=cast.harbour, client=client),
            {"name": "", "drug_class": "ssri"},
            fields=MEDICATION_FIELDS,
        )
    with pytest.raises(ValueError, match="not an editable field"):
        writes.create(
            bob,
            Medication(clinic=cast.harbour, client=client),
            {"name": "X", "clinic": cast.northside},
            fields=MEDICATION_FIELDS,
        )
    assert not Medication.objects.exists() and not AuditEvent.objects.exists()
