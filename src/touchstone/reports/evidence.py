"""The evidence library's pooled estimates, for context in the payer report.

Effects that ``science.meta.compat.check_poolable`` allows together (same outcome domain,
design and measure; mean differences on the same instrument) are pooled with a REML
random-effects model (``science.meta.models.rma``, checked against metafor 3.8.1); a group with
one study shows that study's effect (often itself a published meta-analysis, e.g. Hou 2010)
with its 95 % Wald interval ``yi ± 1.96 sqrt(vi)``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from touchstone.evidence.selectors import shipped_studies
from touchstone.science.meta.compat import (
    RAW_UNIT_MEASURES,
    VARIOUS,
    PoolableEffect,
    check_poolable,
)
from touchstone.science.meta.models import rma

_Z975 = 1.959963984540054


@dataclass(frozen=True)
class PooledEstimate:
    domain: str
    measure: str
    design: str
    scale: str
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    studies: tuple[str, ...]
    method: str


@cache
def pooled_estimates() -> tuple[PooledEstimate, ...]:
    groups: dict[tuple[str, str, str, str], list] = defaultdict(list)
    for study in shipped_studies():
        e = study.effect
        if e is not None:
            scale = e.scale if e.measure in RAW_UNIT_MEASURES else VARIOUS
            groups[(e.domain, e.design, e.measure, scale.casefold())].append(study)
    out = []
    for (domain, design, measure, _), studies in sorted(groups.items()):
        ids = tuple(s.citation for s in studies)
        scale = studies[0].effect.scale if measure in RAW_UNIT_MEASURES else VARIOUS
        if len(studies) >= 2:
            verdict = check_poolable(
                [
                    PoolableEffect(s.id, s.effect.domain, s.effect.scale, s.effect.design,
                                   s.effect.measure, s.id)
                    for s in studies
                ]
            )  # fmt: skip
            assert verdict.ok, verdict.message  # the grouping key is the rules' key
            fit = rma([s.effect.yi for s in studies], [s.effect.vi for s in studies], "REML")
            out.append(
                PooledEstimate(
                    domain, measure, design, scale, fit.k, fit.estimate, fit.ci_lb, fit.ci_ub,
                    ids, "REML",
                )
            )  # fmt: skip
        else:
            effect = studies[0].effect
            half = _Z975 * math.sqrt(effect.vi)
            out.append(
                PooledEstimate(
                    domain,
                    measure,
                    design,
                    scale,
                    1,
                    effect.yi,
                    effect.yi - half,
                    effect.yi + half,
                    ids,
                    "single study",
                )
            )
    return tuple(out)
