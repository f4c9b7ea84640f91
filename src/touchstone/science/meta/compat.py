"""Which effects may be pooled in one meta-analysis: the one place the rules live.

A random-effects model averages numbers; it cannot tell that one of them is in anxiety-scale
points and another in sleep-scale points, or that one is an uncontrolled pre-post change and
another a between-group difference from a randomized trial. Pooling such a mix gives a number
with no meaning (issue 10, section 5: "-3.915" from HAM-A and PSQI points). The rules, after
the Cochrane Handbook (Higgins et al., version 6.4, 2023; sections 10.5.1-10.5.2 on mean
differences and standardized mean differences, 23.2 on combining designs):

1. **One measure.** SMD, MD and log ratios are different scales.
2. **One outcome domain.** Depression, anxiety, sleep and cortisol are different constructs; a
   pooled estimate across them answers no question.
3. **One design.** A controlled between-group effect, an uncontrolled pre-post change and a
   published meta-analytic summary estimate different things (the pre-post change includes
   regression to the mean, natural course and non-specific effects; a summary already pools
   trials that may also be in the set), so they are never averaged together.
4. **Mean differences only on one scale.** An MD is in the instrument's points (HAM-A, PSQI...);
   MDs from different instruments cannot be added. SMDs of the same domain and design may
   come from different instruments: standardizing is what makes them comparable (Handbook
   10.5.2).
5. **Independent effects.** Two effects of the same study share participants; pooling both
   counts them twice.

Pure functions over plain values: the web page, the payer report and the CLI call
:func:`check_poolable` and show its reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Effect designs, with the words shown to people.
DESIGNS: dict[str, str] = {
    "controlled": "controlled between-group effect",
    "pre_post": "uncontrolled pre-post change",
    "meta_summary": "meta-analytic summary",
}
#: Effect measures whose values are in the instrument's own units.
RAW_UNIT_MEASURES = frozenset({"MD"})
#: The scale of a summary that pooled several instruments (SMD only).
VARIOUS = "various"


def same_scale(a: str, b: str) -> bool:
    """Whether two instrument names are the same scale (case and spacing ignored)."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@dataclass(frozen=True)
class PoolableEffect:
    """What the rules need to know about one effect.

    ``study`` names the publication (two effects of one study are not independent); ``label``
    is how the messages name the effect, e.g. "Rapaport 2016".
    """

    label: str
    domain: str
    scale: str
    design: str
    measure: str
    study: str = ""

    def describe(self) -> str:
        return (
            f"{self.label} ({self.domain}, {self.scale}, {DESIGNS.get(self.design, self.design)}"
            f", {self.measure})"
        )


@dataclass(frozen=True)
class Compatibility:
    """The verdict: ``ok`` or the reasons the effects cannot be pooled."""

    reasons: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def message(self) -> str:
        return " ".join(self.reasons)


def _groups(effects: Sequence[PoolableEffect], attr: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in effects:
        out.setdefault(str(getattr(e, attr)), []).append(e.label)
    return out


def _listing(groups: dict[str, list[str]], names: dict[str, str] | None = None) -> str:
    return "; ".join(
        f"{(names or {}).get(value, value)}: {', '.join(labels)}"
        for value, labels in groups.items()
    )


def check_poolable(effects: Sequence[PoolableEffect], minimum: int = 2) -> Compatibility:
    """Check that ``effects`` may be pooled in one model; return the reasons if not.

    Parameters
    ----------
    effects : sequence of PoolableEffect
        The effects chosen for one meta-analysis.
    minimum : int
        The fewest effects a model needs (2 for a pooled estimate).

    Returns
    -------
    Compatibility
        ``ok`` when every rule holds; otherwise one sentence per broken rule, naming the
        effects and their differing measure, domain, design or scale.

    Examples
    --------
    >>> a = PoolableEffect("Rapaport 2016", "anxiety", "HAM-A", "controlled", "MD")
    >>> b = PoolableEffect("Ko 2014", "sleep", "PSQI", "controlled", "MD")
    >>> check_poolable([a, b]).ok
    False
    >>> print(check_poolable([a, b]).reasons[0])
    Different outcome domains cannot be pooled: anxiety: Rapaport 2016; sleep: Ko 2014.
    """
    reasons: list[str] = []
    if len(effects) < minimum:
        reasons.append(f"A pooled estimate needs at least {minimum} effects; {len(effects)} given.")
    missing = [e.label for e in effects if not (e.domain and e.scale and e.design and e.measure)]
    if missing:
        reasons.append(
            "These effects lack an outcome domain, instrument/scale, design or measure, so "
            f"their compatibility cannot be checked: {', '.join(missing)}."
        )
    unknown = [e.label for e in effects if e.design and e.design not in DESIGNS]
    if unknown:
        reasons.append(f"Unknown effect design for: {', '.join(unknown)}.")
    measures = _groups(effects, "measure")
    if len(measures) > 1:
        reasons.append(f"Different effect measures cannot be pooled: {_listing(measures)}.")
    domains = _groups(effects, "domain")
    if len(domains) > 1:
        reasons.append(f"Different outcome domains cannot be pooled: {_listing(domains)}.")
    designs = _groups(effects, "design")
    if len(designs) > 1:
        reasons.append(
            "Controlled between-group effects, uncontrolled pre-post changes and meta-analytic "
            f"summaries cannot be pooled together: {_listing(designs, DESIGNS)}."
        )
    raw = [e for e in effects if e.measure in RAW_UNIT_MEASURES]
    scales: dict[str, list[str]] = {}
    for e in raw:
        key = next((k for k in scales if same_scale(k, e.scale)), e.scale)
        scales.setdefault(key, []).append(e.label)
    if len(scales) > 1:
        reasons.append(
            "Mean differences on different scales cannot be pooled (their points are not the "
            f"same unit; use standardized mean differences): {_listing(scales)}."
        )
    various = [e.label for e in raw if same_scale(e.scale, VARIOUS)]
    if various:
        reasons.append(
            f"A mean difference needs one named instrument, not '{VARIOUS}': {', '.join(various)}."
        )
    studies = _groups([e for e in effects if e.study], "study")
    repeated = {s: labels for s, labels in studies.items() if len(labels) > 1}
    if repeated:
        reasons.append(
            "Effects of the same study share participants and cannot be pooled as independent: "
            f"{_listing(repeated)}."
        )
    return Compatibility(tuple(reasons))
