from __future__ import annotations

import datetime as dt
import io
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.clients.demo import build_demo_clinic
from touchstone.clients.models import Client
from touchstone.trials.demo import ASSESSED as STUDY_CLIENTS

TODAY = dt.date(2026, 11, 1)


def _fingerprint() -> list[tuple[str, str, str, str]]:
    return [
        (c.given_name, c.family_name, c.date_of_birth.isoformat(), c.phone)
        for c in Client.objects.order_by("pk")
    ]


def _build_and_roll_back(seed: int) -> list[tuple[str, str, str, str]]:
    with transaction.atomic():
        build_demo_clinic(seed=seed, n_clients=30, today=TODAY)
        fingerprint = _fingerprint()
        transaction.set_rollback(True)
    return fingerprint


@pytest.mark.django_db
def test_it_is_deterministic_for_a_seed():
    first = _build_and_roll_back(7)
    assert len(first) == 30 + STUDY_CLIENTS  # routine care, and the controlled study's
    assert _build_and_roll_back(7) == first
    assert _build_and_roll_back(8) != first


@pytest.mark.django_db
def test_it_builds_one_login_per_role_and_is_idempotent():
    out = io.StringIO()
    call_command("demo", "--quiet", stdout=out)
    call_command("demo", "--quiet", stdout=out)
    assert "already there" in out.getvalue()
    clinic = Clinic.objects.get(slug="demo")
    assert clinic.is_synthetic and "synthetic" in clinic.name
    assert Client.objects.filter(clinic=clinic).count() == 200 + STUDY_CLIENTS
    assert sorted(StaffMember.objects.values_list("role", flat=True)) == sorted(
        ["owner", "clinician", "therapist", "front_desk", "researcher"]
    )
    for client in Client.objects.all():
        client.full_clean()  # every synthetic record passes the real validation


@pytest.mark.django_db
def test_it_adds_no_demo_to_a_database_that_has_a_clinic_of_its_own():
    Clinic.objects.create(name="Real clinic", slug="real")
    out = io.StringIO()
    call_command("demo", "--if-empty", "--quiet", stdout=out)
    assert not Clinic.objects.filter(slug="demo").exists()


@pytest.mark.django_db
@override_settings(MODE="production")
def test_it_refuses_to_run_in_production_mode():
    # Every demo login has the same, published password.
    with pytest.raises(CommandError, match="production"):
        call_command("demo", "--quiet", stdout=io.StringIO())
    assert not Clinic.objects.exists()


@pytest.mark.django_db
def test_it_says_which_extra_to_install_when_faker_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "faker", None)  # a production install without the extra
    with pytest.raises(CommandError, match="demo extra") as error:
        call_command("demo", "--quiet", stdout=io.StringIO())
    assert error.value.returncode == 2
    assert not Clinic.objects.exists()  # nothing half-built


@pytest.mark.django_db
def test_a_large_demo_is_built_and_committed_in_batches(monkeypatch):
    """Each extension sees one batch of clients (memory bounded, not the whole clinic), and
    the clinic-wide steps run once: the first batch books today's visits, the last refreshes
    the summaries."""
    from touchstone.care.models import Episode, Visit
    from touchstone.clients import demo
    from touchstone.outcomes.models import ClinicSummary

    seen: list[tuple[int, bool, bool]] = []
    monkeypatch.setattr(demo, "BATCH", 10)
    monkeypatch.setattr(
        demo,
        "DEMO_EXTENSIONS",
        [*demo.DEMO_EXTENSIONS, lambda c: seen.append((len(c.clients), c.first, c.last))],
    )
    context = build_demo_clinic(seed=5, n_clients=25, today=TODAY)
    assert context is not None and context.total == 25
    assert seen == [(10, True, False), (10, False, False), (5, False, True)]
    assert Client.objects.count() == 25 + STUDY_CLIENTS  # and the controlled study's, once
    in_care = Episode.objects.values("client_id").distinct().count()
    assert 15 <= in_care <= 25  # most clients of every batch are in care
    assert Visit.objects.filter(status="scheduled").count() == 5  # booked once, not per batch
    assert ClinicSummary.objects.filter(clinic=context.clinic).exists()
