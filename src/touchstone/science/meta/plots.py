"""Forest and funnel plots as accessible SVG text.

Hand-built SVG rather than matplotlib's SVG backend, because:

* the output is small, deterministic text (the same input gives the same bytes), so it can be
  tested, cached and diffed; matplotlib's SVG embeds glyph paths, ids and a date;
* it is accessible by construction: ``role="img"``, ``<title>`` and ``<desc>`` referenced by
  ``aria-labelledby``, a ``<title>`` on every study row, and labels as real ``<text>``;
* it has no inline style or script, so it passes the app's Content-Security-Policy, and takes
  its colours from CSS (``currentColor`` and ``class`` names) so it follows the page theme;
* it keeps matplotlib out of the web process.

Layout follows metafor's ``forest()`` (study labels left, estimates with CIs right, squares
sized by weight, a diamond for the pooled estimate, the prediction interval as a dashed line)
and ``funnel()`` (effect on x, standard error on y with 0 at the top, pseudo-confidence region
``estimate +- 1.96 SE``; Sterne & Egger 2001, *J Clin Epidemiol* 54:1046). As in metafor, the
intervals drawn use the model's ``level`` (0.95 without a model).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from touchstone.science.meta.models import DEFAULT_LEVEL, MetaResult, as_study_arrays

_ROW = 22
_FONT = 12


def _quantile(result: MetaResult | None) -> tuple[float, str]:
    """Normal quantile and label of the model's level (metafor's plots use ``x$level``)."""
    level = result.level if result is not None else DEFAULT_LEVEL
    return float(stats.norm.isf((1 - level) / 2)), f"{100 * level:g}%"


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering ``[lo, hi]`` (steps of 1, 2 or 5 times a power of ten)."""
    span = hi - lo if hi > lo else 1.0
    raw = span / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    t = first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    return ticks


def _fmt(x: float, transf: str | None) -> str:
    return f"{math.exp(x) if transf == 'exp' else x:.2f}"


def _svg_open(width: int, height: int, title: str, desc: str, uid: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{uid}-title {uid}-desc" '
        f'font-family="sans-serif" font-size="{_FONT}" class="meta-plot">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(desc)}</desc>',
    ]


def forest_svg(
    yi: ArrayLike,
    vi: ArrayLike,
    labels: Sequence[str],
    result: MetaResult | None = None,
    transf: str | None = None,
    xlabel: str = "Effect size",
    title: str = "Forest plot",
    uid: str = "forest",
    beside: Sequence[tuple[str, float, float]] = (),
    beside_title: str = "Not pooled",
) -> str:
    """Forest plot of the studies and, if given, the pooled estimate.

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances.
    labels : sequence of str
        Study labels (e.g. "Rapaport 2016").
    result : MetaResult, optional
        The fitted model: adds the summary diamond and, for random-effects models, the
        prediction interval.
    transf : {None, "exp"}
        ``"exp"`` labels log risk/odds ratios on the ratio scale (the axis stays logarithmic).
    xlabel, title : str
        Axis label and the accessible title.
    uid : str
        Prefix for element ids; give each plot on a page its own.
    beside : sequence of (label, yi, vi)
        Estimates shown for comparison below the pooled estimate, under ``beside_title``, as
        open squares of fixed size: they are not part of the model (e.g. a clinic's
        uncontrolled pre-post change beside pooled controlled trials).

    Returns
    -------
    str
        An ``<svg>`` element.

    Examples
    --------
    >>> svg = forest_svg([0.2, 0.5], [0.04, 0.09], ["A 2001", "B 2005"])
    >>> svg.startswith("<svg") and "<title" in svg
    True
    """
    y, v = as_study_arrays(yi, vi)
    if len(labels) != y.size:
        raise ValueError(f"{len(labels)} labels for {y.size} studies")
    z, pct = _quantile(result)
    se = np.sqrt(v)
    lows, highs = y - z * se, y + z * se
    lo, hi = float(lows.min()), float(highs.max())
    extra = [(str(lab), float(b), float(bv)) for lab, b, bv in beside]
    for _, b, bv in extra:
        if not (math.isfinite(b) and math.isfinite(bv) and bv > 0):
            raise ValueError("a row shown beside needs a finite effect and a positive variance")
        lo, hi = min(lo, b - z * math.sqrt(bv)), max(hi, b + z * math.sqrt(bv))
    if result is not None:
        lo = min(lo, result.ci_lb, result.pi_lb)
        hi = max(hi, result.ci_ub, result.pi_ub)
    null = 0.0
    lo, hi = min(lo, null), max(hi, null)
    ticks = _nice_ticks(lo, hi)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    left, plot_w, right = 200, 320, 190
    width = left + plot_w + right
    n_rows = y.size + (2 if result is not None else 0) + (len(extra) + 2 if extra else 0)
    top = 34
    height = top + n_rows * _ROW + 50

    def px(val: float) -> float:
        return left + (val - lo) / (hi - lo) * plot_w

    w = 1.0 / (v + (result.tau2 if result is not None else 0.0))
    sizes = 4 + 8 * np.sqrt(w / w.max())
    summary = ""
    if result is not None:
        summary = (
            f" Pooled estimate {_fmt(result.estimate, transf)} "
            f"({pct} CI {_fmt(result.ci_lb, transf)} to {_fmt(result.ci_ub, transf)}), "
            f"{result.method} model, I squared {result.i2:.1f}%."
        )
    if extra:
        summary += (
            f" Shown below, not pooled ({beside_title}): "
            + "; ".join(f"{lab} {_fmt(b, transf)}" for lab, b, _ in extra)
            + "."
        )
    desc = f"{y.size} studies; squares are study estimates sized by weight.{summary}"
    out = _svg_open(width, height, title, desc, uid)
    out.append(
        f'<text x="8" y="{top - 12}" font-weight="bold">Study</text>'
        f'<text x="{width - 8}" y="{top - 12}" text-anchor="end" font-weight="bold">'
        f"Estimate [{pct} CI]</text>"
    )
    bottom = top + n_rows * _ROW
    out.append(
        f'<line x1="{px(null):.1f}" y1="{top - 4}" x2="{px(null):.1f}" y2="{bottom}" '
        f'stroke="currentColor" stroke-opacity="0.4" class="null-line"/>'
    )
    for i in range(y.size):
        cy = top + i * _ROW + _ROW / 2
        label = escape(str(labels[i]))
        est = f"{_fmt(y[i], transf)} [{_fmt(lows[i], transf)}, {_fmt(highs[i], transf)}]"
        s = sizes[i]
        out.append(
            f'<g class="study"><title>{label}: {est}</title>'
            f'<text x="8" y="{cy + 4:.1f}">{label}</text>'
            f'<line x1="{px(lows[i]):.1f}" y1="{cy:.1f}" x2="{px(highs[i]):.1f}" y2="{cy:.1f}" '
            f'stroke="currentColor"/>'
            f'<rect x="{px(y[i]) - s / 2:.1f}" y="{cy - s / 2:.1f}" width="{s:.1f}" '
            f'height="{s:.1f}" fill="currentColor"/>'
            f'<text x="{width - 8}" y="{cy + 4:.1f}" text-anchor="end">{est}</text></g>'
        )
    if result is not None:
        cy = top + (y.size + 1) * _ROW + _ROW / 2
        est = (
            f"{_fmt(result.estimate, transf)} "
            f"[{_fmt(result.ci_lb, transf)}, {_fmt(result.ci_ub, transf)}]"
        )
        name = "Fixed-effect model" if result.method in ("FE", "EE") else "Random-effects model"
        pts = (
            f"{px(result.ci_lb):.1f},{cy:.1f} {px(result.estimate):.1f},{cy - 7:.1f} "
            f"{px(result.ci_ub):.1f},{cy:.1f} {px(result.estimate):.1f},{cy + 7:.1f}"
        )
        out.append(
            f'<g class="summary"><title>{name} ({result.method}): {est}</title>'
            f'<text x="8" y="{cy + 4:.1f}" font-weight="bold">{name} ({result.method})</text>'
        )
        if result.method not in ("FE", "EE"):
            out.append(
                f'<line x1="{px(result.pi_lb):.1f}" y1="{cy:.1f}" x2="{px(result.pi_ub):.1f}" '
                f'y2="{cy:.1f}" stroke="currentColor" stroke-dasharray="4 3" '
                f'class="prediction-interval"><title>{pct} prediction interval '
                f"{_fmt(result.pi_lb, transf)} to {_fmt(result.pi_ub, transf)}</title></line>"
            )
        out.append(
            f'<polygon points="{pts}" fill="currentColor"/>'
            f'<text x="{width - 8}" y="{cy + 4:.1f}" text-anchor="end" font-weight="bold">'
            f"{est}</text></g>"
        )
    if extra:
        first = y.size + (2 if result is not None else 0) + 1
        head_y = top + first * _ROW + _ROW / 2
        out.append(
            f'<g class="beside"><text x="8" y="{head_y + 4:.1f}" font-style="italic">'
            f"{escape(beside_title)}</text>"
        )
        for j, (lab, b, bv) in enumerate(extra, start=1):
            cy = head_y + j * _ROW
            lo_b, hi_b = b - z * math.sqrt(bv), b + z * math.sqrt(bv)
            label = escape(lab)
            est = f"{_fmt(b, transf)} [{_fmt(lo_b, transf)}, {_fmt(hi_b, transf)}]"
            out.append(
                f'<g class="not-pooled"><title>{label} (not pooled): {est}</title>'
                f'<text x="8" y="{cy + 4:.1f}">{label}</text>'
                f'<line x1="{px(lo_b):.1f}" y1="{cy:.1f}" x2="{px(hi_b):.1f}" y2="{cy:.1f}" '
                f'stroke="currentColor" stroke-dasharray="2 2"/>'
                f'<rect x="{px(b) - 4:.1f}" y="{cy - 4:.1f}" width="8" height="8" fill="none" '
                f'stroke="currentColor"/>'
                f'<text x="{width - 8}" y="{cy + 4:.1f}" text-anchor="end">{est}</text></g>'
            )
        out.append("</g>")
    out.extend(_x_axis(ticks, px, bottom, xlabel, transf, (left + plot_w / 2)))
    out.append("</svg>")
    return "\n".join(out)


def _x_axis(
    ticks: list[float],
    px: object,
    y0: float,
    xlabel: str,
    transf: str | None,
    centre: float,
) -> list[str]:
    assert callable(px)
    parts = [
        f'<g class="axis"><line x1="{px(ticks[0]):.1f}" y1="{y0}" x2="{px(ticks[-1]):.1f}" '
        f'y2="{y0}" stroke="currentColor"/>'
    ]
    for t in ticks:
        label = f"{math.exp(t):.2g}" if transf == "exp" else f"{t:g}"
        parts.append(
            f'<line x1="{px(t):.1f}" y1="{y0}" x2="{px(t):.1f}" y2="{y0 + 5}" '
            f'stroke="currentColor"/><text x="{px(t):.1f}" y="{y0 + 18}" '
            f'text-anchor="middle">{label}</text>'
        )
    parts.append(
        f'<text x="{centre:.1f}" y="{y0 + 36}" text-anchor="middle">{escape(xlabel)}</text>'
    )
    parts.append("</g>")
    return parts


def funnel_svg(
    yi: ArrayLike,
    vi: ArrayLike,
    result: MetaResult | None = None,
    filled: tuple[Sequence[float], Sequence[float]] | None = None,
    xlabel: str = "Effect size",
    title: str = "Funnel plot",
    uid: str = "funnel",
) -> str:
    """Funnel plot: effect size against standard error (0 at the top).

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances.
    result : MetaResult, optional
        Centre line and pseudo confidence region (at its ``level``) at its ``estimate``.
    filled : (yi, vi), optional
        Studies imputed by trim-and-fill, drawn as open circles.

    Examples
    --------
    >>> svg = funnel_svg([0.2, 0.5, 0.1], [0.04, 0.09, 0.01])
    >>> svg.count("<circle")
    3
    """
    y, v = as_study_arrays(yi, vi)
    fy = np.asarray(filled[0], dtype=float) if filled else np.empty(0)
    fv = np.asarray(filled[1], dtype=float) if filled else np.empty(0)
    se, fse = np.sqrt(v), np.sqrt(fv)
    se_max = float(max(se.max(), fse.max() if fse.size else 0.0)) * 1.05
    centre = result.estimate if result is not None else float(np.average(y, weights=1 / v))
    z, pct = _quantile(result)
    all_y = np.concatenate([y, fy, [centre - z * se_max, centre + z * se_max]])
    ticks = _nice_ticks(float(all_y.min()), float(all_y.max()))
    lo, hi = min(float(all_y.min()), ticks[0]), max(float(all_y.max()), ticks[-1])
    left, plot_w, top, plot_h = 60, 360, 20, 260
    width, height = left + plot_w + 20, top + plot_h + 50

    def px(val: float) -> float:
        return left + (val - lo) / (hi - lo) * plot_w

    def py(s: float) -> float:
        return top + s / se_max * plot_h

    desc = (
        f"{y.size} studies plotted by effect size and standard error"
        + (f"; {fy.size} imputed by trim-and-fill shown as open circles" if fy.size else "")
        + f". Centre line at {centre:.2f}; the triangle is the pseudo {pct} confidence region."
    )
    out = _svg_open(width, height, title, desc, uid)
    region = (
        f"{px(centre - z * se_max):.1f},{py(se_max):.1f} {px(centre):.1f},{py(0):.1f} "
        f"{px(centre + z * se_max):.1f},{py(se_max):.1f}"
    )
    out.append(
        f'<polygon points="{region}" fill="currentColor" fill-opacity="0.08" '
        f'stroke="currentColor" stroke-dasharray="4 3" class="pseudo-ci"/>'
        f'<line x1="{px(centre):.1f}" y1="{py(0):.1f}" x2="{px(centre):.1f}" '
        f'y2="{py(se_max):.1f}" stroke="currentColor" class="centre-line"/>'
    )
    for i in range(y.size):
        out.append(
            f'<circle cx="{px(y[i]):.1f}" cy="{py(se[i]):.1f}" r="4" fill="currentColor" '
            f'class="study"><title>Study {i + 1}: {y[i]:.2f} (SE {se[i]:.2f})</title></circle>'
        )
    for i in range(fy.size):
        out.append(
            f'<circle cx="{px(fy[i]):.1f}" cy="{py(fse[i]):.1f}" r="4" fill="none" '
            f'stroke="currentColor" class="filled"><title>Imputed study: {fy[i]:.2f} '
            f"(SE {fse[i]:.2f})</title></circle>"
        )
    y_ticks = _nice_ticks(0.0, se_max, 4)
    out.append('<g class="axis">')
    for t in (t for t in y_ticks if t <= se_max):
        out.append(f'<text x="{left - 8}" y="{py(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    out.append(
        f'<text x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">Standard error</text></g>'
    )
    out.extend(_x_axis(ticks, px, top + plot_h, xlabel, None, left + plot_w / 2))
    out.append("</svg>")
    return "\n".join(out)
