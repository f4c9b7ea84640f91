"""Controlled studies inside routine care: concealed randomisation, sample size, the
intention-to-treat analysis and the CONSORT flow (docs/trials.md). No Django."""

from touchstone.science.trials.analysis import (
    ANCOVA_BOCF,
    ANCOVA_COMPLETE_CASE,
    METHOD_LABELS,
    MIXED_MODEL,
    ArmSummary,
    Estimate,
    TrialAnalysis,
    analyse,
    ancova,
    mixed_model,
)
from touchstone.science.trials.consort import (
    ConsortFlow,
    Randomised,
    Screened,
    consort_flow,
    consort_svg,
)
from touchstone.science.trials.power import SampleSize, achieved_power, sample_size
from touchstone.science.trials.randomisation import (
    allocation,
    blocks,
    new_seed,
    seed_commitment,
    sequence,
    stratum_label,
)
from touchstone.science.trials.scores import StudyScores, follow_up_window, study_scores

__all__ = [
    "ANCOVA_BOCF",
    "ANCOVA_COMPLETE_CASE",
    "METHOD_LABELS",
    "MIXED_MODEL",
    "ArmSummary",
    "ConsortFlow",
    "Estimate",
    "Randomised",
    "SampleSize",
    "Screened",
    "StudyScores",
    "TrialAnalysis",
    "achieved_power",
    "allocation",
    "analyse",
    "ancova",
    "blocks",
    "consort_flow",
    "consort_svg",
    "follow_up_window",
    "mixed_model",
    "new_seed",
    "sample_size",
    "seed_commitment",
    "sequence",
    "stratum_label",
    "study_scores",
]
