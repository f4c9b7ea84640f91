"""``touchstone report measures``: JSON, CSV and FHIR on standard output or a file, audited,
bad input exits 2."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from touchstone.audit.models import Action, AuditEvent
from touchstone.conftest import Cast
from touchstone.outcomes.quality import CSV_COLUMNS, _validate
from touchstone.outcomes.tests.test_quality import build

pytestmark = pytest.mark.django_db

ARGS = ("report", "measures", "--start", "2025-01-01", "--end", "2025-12-31")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*ARGS, *args, "--clinic", "harbour", stdout=out)
    return out.getvalue()


def test_it_prints_json_csv_and_fhir(cast: Cast):
    build(cast.harbour)
    data = json.loads(run("--format", "json"))
    cms = next(m for m in data["measures"] if m["measure_id"] == "CMS159")
    assert cms["rates"][0]["denominator"] == 1 and cms["rates"][0]["numerator"] == 1
    assert cms["windows"][0]["start"] == "2023-11-01"
    rows = list(csv.DictReader(io.StringIO(run("--format", "csv"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    bundle = json.loads(run("--format", "fhir"))
    assert _validate(bundle)["type"] == "collection"
    events = AuditEvent.objects.filter(action=Action.EXPORT, object_type="outcomes.quality")
    assert events.count() == 3 and {e.channel for e in events} == {"cli"}


def test_it_writes_a_file(cast: Cast, tmp_path):
    out = tmp_path / "measures.json"
    message = run("--format", "fhir", "--out", str(out))
    assert str(out) in message
    assert json.loads(out.read_text())["resourceType"] == "Bundle"


def test_bad_input_exits_2_with_one_line(cast: Cast, tmp_path):
    with pytest.raises(CommandError) as error:
        call_command("report", "measures", "--start", "2025-12-31", "--end", "2025-01-01",
                     "--clinic", "harbour")  # fmt: skip
    assert error.value.returncode == 2 and "must follow" in str(error.value)
    with pytest.raises(CommandError) as error:
        call_command(*ARGS, "--out", str(tmp_path / "nowhere" / "x.json"), "--clinic", "harbour")
    assert error.value.returncode == 2
    with pytest.raises(CommandError):
        call_command("report", "measures", "--start", "soon", "--end", "2025-01-01",
                     "--clinic", "harbour")  # fmt: skip
