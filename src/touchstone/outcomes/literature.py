"""What the published massage trials found, in plain words, for the outcomes dashboard to set
beside the clinic's own figures. Every number is read in the source cited next to it
(``shared/reference/evidence.md`` §1.1-1.2; docs/outcomes-statistics.md lists them); the
percentages marked *derived* are arithmetic on those numbers.

Trials compare groups; the clinic's figures are one group before and after, with no control:
the dashboard says so beside them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One published result: what it says in plain words and where it comes from."""

    text: str
    source: str
    doi: str = ""


#: Depression (PHQ-9) and anxiety (GAD-7): the closest published anchors.
FINDINGS: dict[str, tuple[Finding, ...]] = {
    "phq9": (
        Finding(
            "Across 17 randomised trials (786 people), depressive symptoms fell more with a "
            "course of massage than with the comparison treatments: a standardised difference "
            "of 0.73 (95 % CI 0.52 to 0.93), a moderate-to-large effect.",
            "Hou et al. 2010, J Clin Psychiatry 71(7):894-901 (meta-analysis)",
            "10.4088/JCP.09r05009blu",
        ),
    ),
    "gad7": (
        Finding(
            "In generalised anxiety disorder, twelve Swedish massages over six weeks lowered the "
            "Hamilton anxiety score from 20.1 by 11.7 points (about 58 %), 3.3 points more than "
            "a light-touch control.",
            "Rapaport et al. 2016, J Clin Psychiatry 77(7):e883-e891 (randomised, n = 47)",
        ),
        Finding(
            "Another trial saw anxiety fall by 10 to 13 points with massage, and as much with "
            "thermotherapy or a relaxing room.",
            "Sherman et al. 2010, Depress Anxiety 27(5):441-450 (randomised, n = 68)",
            "10.1002/da.20671",
        ),
    ),
}
