"""The massage contraindication catalogue shipped with Touchstone, and the screen's result.

Each item a therapist can tick carries a default consequence: ``precautions`` (massage with
adaptations, which the therapist then writes down) or ``clearance`` (needs medical clearance
before massage). The screen's result is the most serious consequence among the ticked items,
``clear`` when none is ticked; it is computed, never chosen by hand.

Source of the catalogue (from memory, not verified against the text here): general
massage-therapy contraindication guidance, e.g. Batavia M. "Contraindications for therapeutic
massage: do sources agree?" J Bodyw Mov Ther 2004;8(1):48-57, and Batavia M. *Contraindications
in Physical Rehabilitation* (Saunders, 2006); deep-vein thrombosis, recent surgery, fever and
anticoagulants as the classic "needs clearance / adapt" cases also follow DESIGN.md's clinical
safety rules. A clinic should review this list with its own policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Result(models.TextChoices):
    """Ordered from least to most serious; ``SEVERITY`` gives the order."""

    CLEAR = "clear", "Clear"
    PRECAUTIONS = "precautions", "Precautions"
    CLEARANCE = "clearance", "Needs medical clearance"


SEVERITY = {Result.CLEAR: 0, Result.PRECAUTIONS: 1, Result.CLEARANCE: 2}


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    consequence: Result
    guidance: str


# fmt: off
CATALOGUE: tuple[Item, ...] = (
    Item("dvt", "Suspected deep-vein thrombosis", Result.CLEARANCE,
         "Do not massage the limb; refer for medical assessment first."),
    Item("recent_surgery", "Surgery in the last 6 weeks", Result.CLEARANCE,
         "Needs clearance from the surgeon or physician."),
    Item("fracture", "Recent fracture", Result.CLEARANCE,
         "Needs clearance; avoid the site."),
    Item("fever", "Fever or acute infection", Result.CLEARANCE,
         "Postpone the session until recovered."),
    Item("anticoagulants", "Anticoagulants or a bleeding disorder", Result.PRECAUTIONS,
         "Light pressure only; no deep tissue; watch for bruising."),
    Item("pregnancy", "Pregnancy", Result.PRECAUTIONS,
         "Prenatal positioning; first trimester per clinic policy."),
    Item("skin", "Skin condition, open wound or rash", Result.PRECAUTIONS,
         "Avoid the area."),
    Item("cancer_treatment", "Active cancer treatment", Result.CLEARANCE,
         "Needs clearance from the oncology team."),
    Item("osteoporosis", "Osteoporosis", Result.PRECAUTIONS,
         "Light to moderate pressure; no forceful joint work."),
    Item("varicose_veins", "Varicose veins", Result.PRECAUTIONS,
         "No pressure directly over the veins."),
    Item("hypertension", "Uncontrolled high blood pressure", Result.CLEARANCE,
         "Needs clearance from the physician."),
    Item("neuropathy", "Peripheral neuropathy or diabetes", Result.PRECAUTIONS,
         "Lighter pressure where sensation is reduced; check feet."),
    Item("head_injury", "Recent head injury or concussion", Result.CLEARANCE,
         "Needs clearance from the physician."),
    Item("implant", "Implanted device or port", Result.PRECAUTIONS,
         "Avoid pressure over the device."),
    Item("allergy", "Allergy to oils or lotions", Result.PRECAUTIONS,
         "Use a product the client tolerates."),
    Item("other", "Other (describe)", Result.PRECAUTIONS, "As described."),
)
# fmt: on

BY_CODE = {item.code: item for item in CATALOGUE}
CHOICES = [(item.code, item.label) for item in CATALOGUE]


def compute_result(codes: list[str]) -> Result:
    """The most serious consequence among the ticked items; ``clear`` when none.

    >>> compute_result([])
    <Result.CLEAR: 'clear'>
    >>> compute_result(["skin", "fever"])
    <Result.CLEARANCE: 'clearance'>
    """
    results = [BY_CODE[code].consequence for code in codes if code in BY_CODE]
    return max(results, key=SEVERITY.__getitem__, default=Result.CLEAR)
