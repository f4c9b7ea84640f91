"""The research export's de-identification modes, apart from ``interop.research`` so that the
``export`` command can offer them without importing pandas (``touchstone export fhir`` starts
without it)."""

from __future__ import annotations

SAFE_HARBOR = "safe_harbor"
LIMITED = "limited_data_set"
MODES = {
    SAFE_HARBOR: "HIPAA Safe Harbor, 45 CFR 164.514(b)(2): years only, days since the first "
    "episode's start",
    LIMITED: "HIPAA limited data set, 45 CFR 164.514(e): dates shifted per client (data use "
    "agreement required)",
}
