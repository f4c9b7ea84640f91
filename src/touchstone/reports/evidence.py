"""The evidence library's pooled estimates, for context in the payer report.

Effects of the same domain and measure are pooled with a REML random-effects model
(``science.meta.models.rma``, checked against metafor 3.8.1); a domain with one poolable
study shows that study's effect (often itself a published meta-analysis, e.g. Hou 2010)
with its 95 % Wald interval ``yi ± 1.96 sqrt(vi)``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from touchstone.evidence.selectors import shipped_studies
from touchstone.science.meta.models import rma

_Z975 = 1.959963984540054


@dataclass(frozen=True)
class PooledEstimate:
    domain: str
    measure: str
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    studies: tuple[str, ...]
    method: str


@cache
def pooled_estimates() -> tuple[PooledEstimate, ...]:
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for study in shipped_studies():
        if study.effect is not None:
            groups[(study.domain, study.effect.measure)].append(study)
    out = []
    for (domain, measure), studies in sorted(groups.items()):
        ids = tuple(s.citation for s in studies)
        if len(studies) >= 2:
            fit = rma([s.effect.yi for s in studies], [s.effect.vi for s in studies], "REML")
            out.append(
                PooledEstimate(
                    domain, measure, fit.k, fit.estimate, fit.ci_lb, fit.ci_ub, ids, "REML"
                )
            )
        else:
            effect = studies[0].effect
            half = _Z975 * math.sqrt(effect.vi)
            out.append(
                PooledEstimate(
                    domain,
                    measure,
                    1,
                    effect.yi,
                    effect.yi - half,
                    effect.yi + half,
                    ids,
                    "single study",
                )
            )
    return tuple(out)
