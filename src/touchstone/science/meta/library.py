"""Loader and validator for the evidence library's published studies (``studies.json``).

The data file lives with the evidence app (``touchstone/evidence/data/studies.json``); this
module only reads a path, so the science core stays free of Django. Validation is strict and
names the study and field at fault, so a bad hand edit fails the test suite, not a page.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from touchstone.science.meta.compat import DESIGNS, RAW_UNIT_MEASURES, VARIOUS, same_scale
from touchstone.science.meta.effects import md, smd

DOMAINS = ("depression", "anxiety", "cortisol", "sleep", "cost")
#: Version 2 added ``domain``, ``scale`` and ``design`` to every effect.
SCHEMA_VERSION = 2
#: Fields a study may list as UNVERIFIED (evidence.md's marker), besides its own keys.
UNVERIFIABLE = frozenset(
    {
        "authors",
        "cost_amounts",
        "doi",
        "instrument_version",
        "journal",
        "massage_subgroup",
        "n",
        "number_of_studies",
        "per_arm_n",
        "per_outcome_effects",
        "per_study_effects",
        "pooled_effect",
        "primary_report",
        "volume",
        "volume_pages",
        "year",
    }
)
_REQUIRED = {
    "id": str,
    "citation": str,
    "domain": str,
    "design": str,
    "population": str,
    "outcome": str,
    "result": str,
    "extraction_note": str,
    "source": str,
    "unverified": list,
    "critiques": list,
}
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_Z975 = 1.959963984540054
#: What a controlled effect compares (Cochrane Handbook 6.4, section 6.5.2.8 and 10.5.2): the
#: groups' post-treatment values, their changes from baseline, or the source does not say.
COMPARISONS: dict[str, str] = {
    "final": "final (post-treatment) values",
    "change": "changes from baseline",
    "not_stated": "final values or changes: not stated in the source",
}
#: Group summaries (metafor ``escalc`` argument names) turn into an effect by these functions.
_FROM_SUMMARIES = {"SMD": smd, "MD": md}


class StudyDataError(ValueError):
    """The studies file is malformed; the message names the study and the field."""


@dataclass(frozen=True)
class Effect:
    """Poolable effect data of one study: ``yi``/``vi`` on the scale of ``measure``.

    ``domain`` (what was measured: depression, anxiety, sleep, cortisol...), ``scale`` (the
    instrument, e.g. "HAM-A", "PSQI"; "various" for an SMD summary over several instruments)
    and ``design`` (a key of ``compat.DESIGNS``) decide what it may be pooled with
    (:func:`touchstone.science.meta.compat.check_poolable`). ``comparison`` (a key of
    :data:`COMPARISONS`, required for controlled effects) says whether the groups' final values
    or their changes were compared; ``None`` for other designs.
    """

    measure: str
    yi: float
    vi: float
    derived: bool
    note: str
    domain: str
    scale: str
    design: str
    comparison: str | None = None


@dataclass(frozen=True)
class Study:
    """One published study as the evidence library shows it."""

    id: str
    citation: str
    doi: str | None
    year: int | None
    domain: str
    design: str
    population: str
    n: int | None
    outcome: str
    result: str
    effect: Effect | None
    extraction_note: str
    source: str
    unverified: tuple[str, ...]
    critiques: tuple[tuple[str, str], ...]

    def is_unverified(self, field: str) -> bool:
        """Whether ``field`` is marked UNVERIFIED in the source notes."""
        return field in self.unverified


def _fail(study: str, field: str, problem: str) -> StudyDataError:
    return StudyDataError(f"study {study!r}, field {field!r}: {problem}")


def _number(sid: str, raw: dict[str, Any], key: str, positive: bool = False) -> float:
    value = raw.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise _fail(sid, f"effect.{key}", "must be a finite number")
    if positive and value <= 0:
        raise _fail(sid, f"effect.{key}", "must be positive")
    return float(value)


def _effect(sid: str, raw: Any) -> Effect | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _fail(sid, "effect", "must be an object or null")
    measure = raw.get("measure")
    if measure not in ("SMD", "MD", "RR", "OR"):
        raise _fail(sid, "effect.measure", "must be SMD, MD, RR or OR")
    derived, note = bool(raw.get("derived", False)), str(raw.get("note", ""))
    domain, scale, design = raw.get("domain"), raw.get("scale"), raw.get("design")
    if domain not in DOMAINS or domain == "cost":
        raise _fail(sid, "effect.domain", f"must be one of {', '.join(DOMAINS[:-1])}")
    if not isinstance(scale, str) or not scale.strip():
        raise _fail(sid, "effect.scale", "must name the instrument/scale (or 'various')")
    if design not in DESIGNS:
        raise _fail(sid, "effect.design", f"must be one of {', '.join(DESIGNS)}")
    if measure in RAW_UNIT_MEASURES and same_scale(scale, VARIOUS):
        raise _fail(sid, "effect.scale", "a mean difference needs one named instrument")
    if not note.strip():
        raise _fail(sid, "effect.note", "must say where each figure comes from")
    comparison = raw.get("comparison")
    if design == "controlled" and comparison not in COMPARISONS:
        raise _fail(
            sid, "effect.comparison", f"a controlled effect needs one of {', '.join(COMPARISONS)}"
        )
    if design != "controlled" and comparison is not None:
        raise _fail(sid, "effect.comparison", "applies to controlled effects only")
    tags = (domain, scale.strip(), design, comparison)
    if "yi" not in raw:  # group summaries (treatment first): metafor escalc("SMD"/"MD")
        keys = ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")
        vals = [_number(sid, raw, key, positive=key[0] != "m") for key in keys]
        for key, value in zip(keys, vals, strict=True):
            if key[0] == "n" and not value.is_integer():
                raise _fail(sid, f"effect.{key}", "a group size must be a whole number")
        if measure not in _FROM_SUMMARIES:
            raise _fail(sid, "effect.measure", "group summaries are supported for SMD and MD")
        if measure == "SMD" and vals[2] + vals[5] <= 2:
            raise _fail(sid, "effect", "Hedges' g needs more than two participants (n1i + n2i > 2)")
        m1, s1, n1, m2, s2, n2 = ([v] for v in vals)
        es = _FROM_SUMMARIES[measure](m1, s1, n1, m2, s2, n2)  # inputs checked above
        return Effect(measure, float(es.yi[0]), float(es.vi[0]), True, note, *tags)
    yi, vi = _number(sid, raw, "yi"), _number(sid, raw, "vi", positive=True)
    if "ci_lb" in raw or "ci_ub" in raw:
        lb, ub = _number(sid, raw, "ci_lb"), _number(sid, raw, "ci_ub")
        if not lb <= yi <= ub:
            raise _fail(sid, "effect.yi", "lies outside its confidence interval")
        implied = ((ub - lb) / (2 * _Z975)) ** 2
        if abs(implied - vi) > 0.02 * implied:  # 2 %: CIs are printed to 2 decimals
            raise _fail(sid, "effect.vi", f"does not match the CI (implies {implied:.6f})")
    return Effect(measure, yi, vi, derived, note, *tags)


def _study(raw: Any, index: int) -> Study:
    if not isinstance(raw, dict):
        raise StudyDataError(f"study #{index + 1}: must be an object")
    sid = str(raw.get("id", f"#{index + 1}"))
    for key, kind in _REQUIRED.items():
        if not isinstance(raw.get(key), kind):
            raise _fail(sid, key, f"missing or not a {kind.__name__}")
    if raw["domain"] not in DOMAINS:
        raise _fail(sid, "domain", f"must be one of {', '.join(DOMAINS)}")
    doi = raw.get("doi")
    if doi is not None and not (isinstance(doi, str) and _DOI.match(doi)):
        raise _fail(sid, "doi", "is not a DOI (10.NNNN/...)")
    for key in ("year", "n"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise _fail(sid, key, "must be a positive whole number or null")
    unverified = raw["unverified"]
    for field in unverified:
        if field not in UNVERIFIABLE and field not in raw:
            raise _fail(sid, "unverified", f"names an unknown field {field!r}")
    critiques = []
    for c in raw["critiques"]:
        if not (isinstance(c, dict) and isinstance(c.get("by"), str) and c.get("text")):
            raise _fail(sid, "critiques", "each critique needs 'by' and 'text'")
        critiques.append((c["by"], str(c["text"])))
    return Study(
        id=sid,
        citation=raw["citation"],
        doi=doi,
        year=raw.get("year"),
        domain=raw["domain"],
        design=raw["design"],
        population=raw["population"],
        n=raw.get("n"),
        outcome=raw["outcome"],
        result=raw["result"],
        effect=_effect(sid, raw.get("effect")),
        extraction_note=raw["extraction_note"],
        source=raw["source"],
        unverified=tuple(unverified),
        critiques=tuple(critiques),
    )


def parse_studies(data: Any) -> tuple[Study, ...]:
    """Validate the decoded JSON document and return its studies.

    Raises
    ------
    StudyDataError
        On the first problem, naming the study and field.
    """
    if not isinstance(data, dict) or not isinstance(data.get("studies"), list):
        raise StudyDataError("the document needs a 'studies' list")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise StudyDataError(
            f"schema_version must be {SCHEMA_VERSION} (effects carry domain, scale and design)"
        )
    studies = tuple(_study(raw, i) for i, raw in enumerate(data["studies"]))
    ids = [s.id for s in studies]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise StudyDataError(f"duplicate study ids: {', '.join(duplicates)}")
    known = set(ids) | {"authors", "evidence_note"}
    for s in studies:
        for by, _ in s.critiques:
            if by not in known:
                raise _fail(s.id, "critiques", f"cites unknown study {by!r}")
    return studies


def load_studies(path: str | Path) -> tuple[Study, ...]:
    """Read and validate a studies file (see :func:`parse_studies`)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise StudyDataError(f"{path}: not valid JSON ({exc})") from exc
    return parse_studies(data)
