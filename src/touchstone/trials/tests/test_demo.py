"""The demo clinic's randomised wait-list study, end to end, and its analysis against R.

The demo builds the study (deterministic for the seed); its exported analysis dataset must be
exactly ``science/trials/tests/fixtures/demo_waitlist.csv``, on which
``trials_reference.R`` printed R's lm/lmer results (``trials_r.json``, key
``demo_waitlist``). So the demo's own ITT analysis is compared with R on the same data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.db import transaction

from touchstone.clients.demo import build_demo_clinic
from touchstone.science.trials import ANCOVA_BOCF, ANCOVA_COMPLETE_CASE, MIXED_MODEL
from touchstone.trials.models import ControlledStudy, Enrolment, ProtocolVersion
from touchstone.trials.report import analysis_rows, study_report
from touchstone.trials.selectors import dataset, dataset_csv_rows

TODAY = dt.date(2026, 11, 1)
FIXTURES = Path(__file__).resolve().parents[2] / "science" / "trials" / "tests" / "fixtures"
R = json.loads((FIXTURES / "trials_r.json").read_text())["demo_waitlist"]
HEADER = (
    "# The demo clinic's wait-list study (touchstone demo --seed 3, 80 clients, "
    "today 2026-11-01).\n"
)


def _exported(study: ControlledStudy) -> str:
    out = io.StringIO()
    rows = analysis_rows(dataset(study, ProtocolVersion.objects.get(study=study).content))
    csv.writer(out, lineterminator="\n").writerows(dataset_csv_rows(rows))
    return HEADER + out.getvalue()


@pytest.mark.django_db
def test_the_demo_runs_a_wait_list_study_end_to_end_and_matches_r():
    exports = []
    for _ in range(2):
        with transaction.atomic():
            build_demo_clinic(seed=3, n_clients=80, today=TODAY)
            study = ControlledStudy.objects.get()
            exports.append(_exported(study))
            report = study_report(study)
            transaction.set_rollback(True)
    assert exports[0] == exports[1]  # deterministic for the seed
    assert exports[0] == (FIXTURES / "demo_waitlist.csv").read_text()
    flow = report.flow
    assert flow.excluded > 0 and flow.randomised >= 40
    assert sum(a.lost_to_follow_up for a in flow.arms) > 0
    assert sum(a.not_received for a in flow.arms) == 2
    assert "<svg" not in json.dumps(report.to_dict())  # the export carries data, not drawings
    by_method = {e.method: e for e in report.result.estimates}
    for method in (ANCOVA_COMPLETE_CASE, MIXED_MODEL, ANCOVA_BOCF):
        for name in ("estimate", "se", "ci_low", "ci_high", "p_value"):
            assert getattr(by_method[method], name) == pytest.approx(R[method][name], abs=1e-6)
    assert by_method[ANCOVA_COMPLETE_CASE].estimate < 0  # immediate massage: lower PHQ-9
    assert Enrolment.objects.count() == 0  # rolled back
