"""Evidence rows for tests and the access matrix."""

from __future__ import annotations

from django.db.models import Count

from touchstone.accounts.models import Clinic
from touchstone.care.tests.factories import staff_of
from touchstone.evidence.models import Study, Synthesis


def make_study(clinic: Clinic, **fields: object) -> Study:
    n = Study.objects.aggregate(n=Count("pk"))["n"]
    values: dict[str, object] = {
        "key": f"probe{n}",
        "citation": "Probe P. A probe study. J Probe 2020.",
        "year": 2020,
        "domain": "depression",
        "design": "RCT",
        "outcome": "PHQ-9",
        "result": "Probe.",
        "measure": "SMD",
        "effect_domain": "depression",
        "scale": "PHQ-9",
        "effect_design": "controlled",
        "yi": 0.3,
        "vi": 0.04,
    }
    values.update(fields)
    return Study.objects.create(clinic=clinic, **values)


def make_synthesis(clinic: Clinic) -> Synthesis:
    tags = {"domain": "depression", "scale": "BDI", "design": "controlled", "measure": "SMD"}
    rows = [
        {"key": "a", "label": "A 2001", "yi": 0.2, "vi": 0.04, "kind": "published", "n": 50,
         **tags},
        {"key": "b", "label": "B 2005", "yi": 0.5, "vi": 0.09, "kind": "published", "n": 30,
         **tags},
    ]  # fmt: skip
    return Synthesis.objects.create(
        clinic=clinic,
        title="Probe",
        study_keys=["a", "b"],
        options={"measure": "SMD", "method": "REML", "test": "z", "clinic": ""},
        result={},
        rows=rows,
        created_by=staff_of(clinic),
    )
