"""The protocol of a controlled study as data: built from the design form, checked, hashed.

The content is plain JSON (``PROTOCOL_SCHEMA``), so the registered text is exactly what is
hashed and exported. ``RANDOMISATION_KEYS`` cannot change by amendment: they define the
allocation sequence already in use.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from touchstone.science.trials import METHOD_LABELS, sample_size

PROTOCOL_SCHEMA = "touchstone-controlled-study/1"
RANDOMISATION_METHOD = (
    "Stratified permuted blocks of random sizes; HMAC-SHA256 counter-mode stream keyed by a "
    "32-byte seed from the operating system's CSPRNG (science.trials.randomisation)"
)
MISSING_DATA = (
    "Primary: complete cases (clients with baseline and follow-up). Sensitivity: mixed model "
    "over all observed scores (missing at random), and baseline observation carried forward."
)
RANDOMISATION_KEYS = ("ratio", "block_multipliers", "stratify_baseline_at", "seed_sha256")


def parse_ints(text: str, sep: str, what: str) -> list[int]:
    try:
        values = [int(part.strip()) for part in text.split(sep)]
    except ValueError:
        raise ValidationError(f"{what}: whole numbers separated by '{sep}'") from None
    if not values or any(v < 1 for v in values):
        raise ValidationError(f"{what}: positive whole numbers")
    return values


def build_protocol(data: dict[str, Any]) -> dict[str, Any]:
    """Protocol content from the design form's cleaned data (raises ``ValidationError``)."""
    ratio = parse_ints(data["ratio"], ":", "Allocation ratio")
    multipliers = parse_ints(data["block_multipliers"], ",", "Block sizes")
    if len(ratio) != 2:
        raise ValidationError("Allocation ratio: two arms, e.g. 1:1 or 2:1")
    if len(set(multipliers)) != len(multipliers):
        raise ValidationError("Block sizes: each multiplier once")
    try:
        size = sample_size(
            float(data["difference"]),
            float(data["sd"]),
            alpha=float(data["alpha"]),
            power=float(data["power"]),
            correlation=float(data["correlation"]),
            ratio=ratio[1] / ratio[0],
            dropout=float(data["dropout"]),
        )
    except ValueError as exc:
        raise ValidationError(f"Sample size: {exc}") from None
    return {
        "schema": PROTOCOL_SCHEMA,
        "title": data["title"],
        "design": data["design"],
        "question": data["question"],
        "eligibility": data["eligibility"],
        "arms": [{"label": data["control_label"]}, {"label": data["intervention_label"]}],
        "primary_outcome": {
            "instrument_id": data["instrument_id"],
            "weeks": int(data["weeks"]),
            "window_days": int(data["window_days"]),
            "baseline_days": int(data["baseline_days"]),
        },
        "randomisation": {
            "method": RANDOMISATION_METHOD,
            "ratio": ratio,
            "block_multipliers": multipliers,
            "stratify_baseline_at": data.get("stratify_baseline_at"),
            "seed_sha256": None,  # set at registration
        },
        "sample_size": size.to_dict(),
        "analysis": {
            "population": "intention to treat: every randomised client in the allocated arm",
            "effect": "adjusted difference in follow-up means, second arm minus first (control)",
            "methods": [{"id": k, "label": v} for k, v in METHOD_LABELS.items()],
            "missing_data": MISSING_DATA,
            "level": 0.95,
            "notes": data.get("analysis_notes", ""),
        },
    }


def form_initial(content: dict[str, Any]) -> dict[str, Any]:
    """The design form's fields from protocol content (to amend or edit a draft)."""
    r, p, s = content["randomisation"], content["primary_outcome"], content["sample_size"]
    return {
        "title": content["title"],
        "design": content["design"],
        "question": content["question"],
        "eligibility": content["eligibility"],
        "control_label": content["arms"][0]["label"],
        "intervention_label": content["arms"][1]["label"],
        "instrument_id": p["instrument_id"],
        "weeks": p["weeks"],
        "window_days": p["window_days"],
        "baseline_days": p["baseline_days"],
        "ratio": ":".join(map(str, r["ratio"])),
        "block_multipliers": ",".join(map(str, r["block_multipliers"])),
        "stratify_baseline_at": r["stratify_baseline_at"],
        "difference": s["difference"],
        "sd": s["sd"],
        "alpha": s["alpha"],
        "power": s["power"],
        "correlation": s["correlation"],
        "dropout": s["dropout"],
        "analysis_notes": content["analysis"]["notes"],
    }


def changed_keys(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Top-level sections (and randomisation keys) that differ, for the amendment's record."""
    out = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    return out
