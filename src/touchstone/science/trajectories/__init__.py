"""Expected-recovery trajectories from a linear mixed-effects model.

:func:`fit_trajectory_model` fits ``score ~ time + baseline (+ time:baseline) +
(time | client)`` by REML or ML through lme4's profiled deviance (Bates et al. 2015,
doi:10.18637/jss.v067.i01), vectorised over clients; :func:`expected_trajectory` and
:func:`flag_not_on_track` turn a fit into an expected band and "not on track" flags.
:func:`fit_mixed_model` is the general one-grouping-factor engine underneath. See
``docs/trajectories.md``.
"""

from touchstone.science.trajectories.lmm import MixedModelFit, fit_mixed_model
from touchstone.science.trajectories.model import (
    DEFAULT_LEVEL,
    MIN_CLIENTS,
    ExpectedTrajectory,
    OnTrackCheck,
    TrajectoryModel,
    expected_trajectory,
    fit_trajectory_model,
    flag_not_on_track,
)

__all__ = [
    "DEFAULT_LEVEL",
    "MIN_CLIENTS",
    "ExpectedTrajectory",
    "MixedModelFit",
    "OnTrackCheck",
    "TrajectoryModel",
    "expected_trajectory",
    "fit_mixed_model",
    "fit_trajectory_model",
    "flag_not_on_track",
]
