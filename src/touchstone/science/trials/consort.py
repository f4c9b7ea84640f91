"""CONSORT 2010 flow counts and the flow diagram as SVG.

The boxes follow the CONSORT 2010 flow diagram (Schulz, Altman & Moher 2010, BMJ 340:c332,
doi:10.1136/bmj.c332; template at consort-statement.org): enrolment (assessed for
eligibility, excluded with reasons, randomised), allocation (per arm: allocated, received the
allocated intervention, did not receive it), follow-up (lost to follow-up) and analysis
(analysed, excluded from analysis with reasons).

The SVG is written from a small string template, not a plotting library: the diagram is a
fixed layout of eight boxes and their arrows, which a template states in a page, and every
text goes through ``xml.sax.saxutils.escape``. Graphviz or matplotlib would add a system
binary or a large dependency to position boxes whose positions never change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Screened:
    """One client assessed for eligibility: ``excluded_reason`` is "" when randomised."""

    excluded_reason: str = ""


@dataclass(frozen=True)
class Randomised:
    """One randomised client, as the analysis saw them."""

    arm: int
    received: bool
    followed_up: bool
    analysed: bool
    not_received_reason: str = ""
    not_analysed_reason: str = ""


@dataclass(frozen=True)
class ArmFlow:
    arm: int
    label: str
    allocated: int
    received: int
    not_received: int
    not_received_reasons: dict[str, int]
    lost_to_follow_up: int
    analysed: int
    excluded_from_analysis: int
    excluded_reasons: dict[str, int]


@dataclass(frozen=True)
class ConsortFlow:
    assessed: int
    excluded: int
    excluded_reasons: dict[str, int]
    randomised: int
    arms: tuple[ArmFlow, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "assessed": self.assessed,
            "excluded": self.excluded,
            "excluded_reasons": dict(self.excluded_reasons),
            "randomised": self.randomised,
            "arms": [a.__dict__ for a in self.arms],
        }


def consort_flow(
    screened: Iterable[Screened], randomised: Iterable[Randomised], arm_labels: Sequence[str]
) -> ConsortFlow:
    """Count the flow. Every randomised client must also be among the screened (with no
    exclusion reason): the counts then add up box by box, which the tests check."""
    screened = list(screened)
    randomised = list(randomised)
    excluded = Counter(s.excluded_reason for s in screened if s.excluded_reason)
    if len(screened) - sum(excluded.values()) != len(randomised):
        raise ValueError("every randomised client must be screened without an exclusion")
    arms = []
    for k, label in enumerate(arm_labels):
        rows = [r for r in randomised if r.arm == k]
        not_received = Counter(
            r.not_received_reason or "not recorded" for r in rows if not r.received
        )
        not_analysed = Counter(
            r.not_analysed_reason or "not recorded" for r in rows if not r.analysed
        )
        arms.append(
            ArmFlow(
                arm=k,
                label=label,
                allocated=len(rows),
                received=sum(r.received for r in rows),
                not_received=sum(not_received.values()),
                not_received_reasons=dict(sorted(not_received.items())),
                lost_to_follow_up=sum(not r.followed_up for r in rows),
                analysed=sum(r.analysed for r in rows),
                excluded_from_analysis=sum(not_analysed.values()),
                excluded_reasons=dict(sorted(not_analysed.items())),
            )
        )
    if sum(a.allocated for a in arms) != len(randomised):
        raise ValueError("a randomised client has an arm outside the labels")
    return ConsortFlow(
        assessed=len(screened),
        excluded=sum(excluded.values()),
        excluded_reasons=dict(sorted(excluded.items())),
        randomised=len(randomised),
        arms=tuple(arms),
    )


_W, _BOX_W, _LINE = 760, 330, 18


def _box(x: float, y: float, lines: Sequence[str], width: float = _BOX_W) -> tuple[str, float]:
    height = 14 + _LINE * len(lines)
    texts = "".join(
        f'<text x="{x + 10:g}" y="{y + 24 + i * _LINE:g}">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    rect = (
        f'<rect x="{x:g}" y="{y:g}" width="{width:g}" height="{height:g}" rx="4" '
        'fill="#fff" stroke="#333"/>'
    )
    return rect + texts, height


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return (
        f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="#333" '
        'marker-end="url(#arrow)"/>'
    )


def _reasons(reasons: dict[str, int]) -> list[str]:
    return [f"  {reason} (n = {n})" for reason, n in reasons.items()]


def consort_svg(flow: ConsortFlow, *, title: str = "CONSORT flow diagram") -> str:
    """The flow diagram as a standalone SVG document (text in the SVG: screen-readable)."""
    parts: list[str] = []
    y = 10.0
    centre = _W / 2
    box, h = _box(centre - _BOX_W / 2, y, [f"Assessed for eligibility (n = {flow.assessed})"])
    parts.append(box)
    excl, eh = _box(
        centre + 40,
        y + h + 20,
        [f"Excluded (n = {flow.excluded})", *_reasons(flow.excluded_reasons)],
    )
    parts.append(_arrow(centre, y + h, centre, y + h + 20 + eh + 30))
    parts.append(_arrow(centre, y + h + 20 + eh / 2, centre + 40, y + h + 20 + eh / 2))
    parts.append(excl)
    y = y + h + 20 + eh + 30
    box, h = _box(centre - _BOX_W / 2, y, [f"Randomised (n = {flow.randomised})"])
    parts.append(box)
    y += h + 30
    columns = [
        10.0 + i * (_W - 20 - _BOX_W) / max(1, len(flow.arms) - 1) for i in range(len(flow.arms))
    ]
    stages = (
        (
            "Allocation",
            lambda a: [
                f"Allocated to {a.label} (n = {a.allocated})",
                f"  Received allocated care (n = {a.received})",
                f"  Did not receive it (n = {a.not_received})",
                *["  " + line for line in _reasons(a.not_received_reasons)],
            ],
        ),
        ("Follow-up", lambda a: [f"Lost to follow-up (n = {a.lost_to_follow_up})"]),
        (
            "Analysis",
            lambda a: [
                f"Analysed (n = {a.analysed})",
                f"  Excluded from analysis (n = {a.excluded_from_analysis})",
                *["  " + line for line in _reasons(a.excluded_reasons)],
            ],
        ),
    )
    for x in columns:
        parts.append(_arrow(centre, y - 30, x + _BOX_W / 2, y))
    for index, (stage, lines_of) in enumerate(stages):
        if index:
            parts.append(
                f'<text x="{centre:g}" y="{y - 8:g}" text-anchor="middle" '
                f'font-weight="bold">{escape(stage)}</text>'
            )
        heights = []
        for x, arm in zip(columns, flow.arms, strict=True):
            box, h = _box(x, y, lines_of(arm))
            parts.append(box)
            heights.append(h)
        step = max(heights)
        if index < len(stages) - 1:
            for x, h in zip(columns, heights, strict=True):
                parts.append(_arrow(x + _BOX_W / 2, y + h, x + _BOX_W / 2, y + step + 30))
        y += step + 30
    height = y
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {height:g}" '
        f'width="{_W}" height="{height:g}" role="img" aria-labelledby="consort-title" '
        'font-family="DejaVu Sans, sans-serif" font-size="13">'
        f'<title id="consort-title">{escape(title)}</title>'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#333"/></marker></defs>' + "".join(parts) + "</svg>"
    )
