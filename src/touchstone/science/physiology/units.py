"""Biomarker units: exact conversions between mass and molar concentrations, UCUM codes.

Units are identified by their UCUM case-sensitive codes (Regenstrief, *The Unified Code for
Units of Measure*, https://ucum.org/ucum): ``nmol/L``, ``ug/dL``, ``ng/mL`` and so on. The
printable micro sign (``µg/dL``, U+00B5 or Greek mu U+03BC) is accepted and normalised to
``ug/dL``.

A mass concentration converts to a molar one through the analyte's molar mass, which we
compute from its molecular formula with the IUPAC standard atomic weights, so the number is
traceable rather than typed in: cortisol, C21H30O5, gives 362.46 g/mol (PubChem CID 5754
lists 362.5 g/mol to one decimal). Hence, exactly as computed here,

* 1 µg/dL cortisol = 10 µg/L ÷ 362.46 g/mol = 27.589 nmol/L,
* 1 ng/mL cortisol = 1 µg/L ÷ 362.46 g/mol = 2.7589 nmol/L.

(Clinical labs often round the factor to 27.6 or 27.59; we keep the exact one.)
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

from touchstone.science.physiology import PhysiologyError

# IUPAC standard atomic weights 2005 (Wieser ME, Pure Appl Chem 2006;78(11):2051-2066), the
# values behind the usual 362.46 g/mol for cortisol. The later interval notation (2009+) gives
# the same numbers to 0.01 g/mol for these molecules. Enough elements for the registry below.
ATOMIC_WEIGHTS: dict[str, float] = {
    "C": 12.0107,
    "H": 1.00794,
    "N": 14.0067,
    "O": 15.9994,
    "S": 32.065,
}

Dimension = Literal["mass", "molar", "activity"]


@dataclass(frozen=True)
class Unit:
    """One concentration unit: its UCUM code, dimension and factor to the base unit.

    Base units: g/L for mass concentration, mol/L for molar concentration, U/L for
    catalytic activity (enzyme units).
    """

    ucum: str
    dimension: Dimension
    to_base: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


UNITS: dict[str, Unit] = {
    u.ucum: u
    for u in (
        Unit("g/L", "mass", 1.0),
        Unit("mg/L", "mass", 1e-3),
        Unit("mg/dL", "mass", 1e-2),
        Unit("ug/dL", "mass", 1e-5),
        Unit("ug/L", "mass", 1e-6),
        Unit("ng/mL", "mass", 1e-6),
        Unit("ng/dL", "mass", 1e-8),
        Unit("pg/mL", "mass", 1e-9),
        Unit("mol/L", "molar", 1.0),
        Unit("mmol/L", "molar", 1e-3),
        Unit("umol/L", "molar", 1e-6),
        Unit("nmol/L", "molar", 1e-9),
        Unit("pmol/L", "molar", 1e-12),
        Unit("U/L", "activity", 1.0),
        Unit("kU/L", "activity", 1e3),
        Unit("U/mL", "activity", 1e3),
    )
}


def molar_mass(formula: str) -> float:
    """Molar mass in g/mol of a molecular formula such as ``"C21H30O5"``.

    Sum of IUPAC standard atomic weights (``ATOMIC_WEIGHTS``) times atom counts.

    Examples
    --------
    >>> round(molar_mass("C21H30O5"), 2)  # cortisol
    362.46
    """
    tokens = re.findall(r"([A-Z][a-z]?)(\d*)", formula)
    if not tokens or "".join(e + n for e, n in tokens) != formula:
        raise PhysiologyError(f"cannot read the molecular formula {formula!r}")
    total = 0.0
    for element, count in tokens:
        if element not in ATOMIC_WEIGHTS:
            raise PhysiologyError(f"no atomic weight for element {element!r} in {formula!r}")
        total += ATOMIC_WEIGHTS[element] * (int(count) if count else 1)
    return total


@dataclass(frozen=True)
class Biomarker:
    """A loggable lab biomarker: its canonical unit and the units it may be entered in.

    ``molar_mass`` (g/mol) is set only for small molecules, where mass and molar units
    convert exactly; enzymes and proteins convert only within one dimension.
    """

    code: str
    name: str
    canonical_unit: str
    units: tuple[str, ...]
    specimens: tuple[str, ...]
    formula: str | None = None
    source: str = ""

    @property
    def molar_mass(self) -> float | None:
        return None if self.formula is None else molar_mass(self.formula)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "molar_mass": self.molar_mass}


SPECIMENS = ("saliva", "serum", "plasma", "urine")

BIOMARKERS: dict[str, Biomarker] = {
    b.code: b
    for b in (
        Biomarker(
            "cortisol",
            "Cortisol",
            "nmol/L",
            ("nmol/L", "ug/dL", "ng/mL", "ug/L", "pg/mL"),
            SPECIMENS,
            "C21H30O5",
            "PubChem CID 5754 (hydrocortisone), formula C21H30O5",
        ),
        Biomarker(
            "serotonin",
            "Serotonin (5-HT)",
            "nmol/L",
            ("nmol/L", "umol/L", "ng/mL", "ug/L"),
            SPECIMENS,
            "C10H12N2O",
            "PubChem CID 5202, formula C10H12N2O",
        ),
        Biomarker(
            "dopamine",
            "Dopamine",
            "nmol/L",
            ("nmol/L", "pmol/L", "ng/mL", "pg/mL"),
            SPECIMENS,
            "C8H11NO2",
            "PubChem CID 681, formula C8H11NO2",
        ),
        Biomarker(
            "melatonin",
            "Melatonin",
            "pmol/L",
            ("pmol/L", "pg/mL", "nmol/L"),
            SPECIMENS,
            "C13H16N2O2",
            "PubChem CID 896, formula C13H16N2O2",
        ),
        Biomarker(
            "alpha_amylase",
            "Salivary alpha-amylase",
            "U/mL",
            ("U/mL", "U/L", "kU/L"),
            ("saliva",),
        ),
        Biomarker("crp", "C-reactive protein", "mg/L", ("mg/L", "mg/dL"), ("serum", "plasma")),
    )
}

_MICRO = ("\u00b5", "\u03bc")


def normalise_unit(unit: str) -> str:
    """Return the UCUM code for ``unit`` (``"µg/dL"`` → ``"ug/dL"``), or raise."""
    code = unit.strip()
    for micro in _MICRO:
        code = code.replace(micro, "u")
    # UCUM litre is "L"; "l" is also a valid UCUM atom, accept it as the same unit.
    code = re.sub(r"l$", "L", code)
    if code not in UNITS:
        raise PhysiologyError(f"unknown unit {unit!r}; use a UCUM code such as nmol/L")
    return code


def check_concentration(value: float) -> float:
    """Reject concentrations that cannot exist: zero, negative, NaN or infinite."""
    if not math.isfinite(value):
        raise PhysiologyError(f"concentration {value!r} is not a finite number")
    if value <= 0:
        raise PhysiologyError(
            f"concentration {value!r} is impossible: it must be greater than zero "
            "(a value below the assay's detection limit is recorded as such, not as 0)"
        )
    return value


def convert(value: float, from_unit: str, to_unit: str, analyte: str = "cortisol") -> float:
    """Convert a concentration between units, exactly.

    Parameters
    ----------
    value : float
        The concentration; must be > 0 (see :func:`check_concentration`).
    from_unit, to_unit : str
        UCUM codes (``"nmol/L"``, ``"ug/dL"``, ``"ng/mL"``, ...) or their µ spellings.
    analyte : str
        A code from :data:`BIOMARKERS`; its molar mass bridges mass and molar units.

    Returns
    -------
    float
        The value in ``to_unit``.

    Examples
    --------
    >>> round(convert(1.0, "ug/dL", "nmol/L"), 3)
    27.589
    """
    check_concentration(value)
    source, target = UNITS[normalise_unit(from_unit)], UNITS[normalise_unit(to_unit)]
    if analyte not in BIOMARKERS:
        raise PhysiologyError(f"unknown biomarker {analyte!r}")
    base = value * source.to_base
    if source.dimension != target.dimension:
        mass = BIOMARKERS[analyte].molar_mass
        pair = {source.dimension, target.dimension}
        if mass is None or pair != {"mass", "molar"}:
            raise PhysiologyError(
                f"cannot convert {analyte} from {source.ucum} to {target.ucum}: "
                "no exact conversion between these dimensions"
            )
        # g/L ÷ g/mol = mol/L; mol/L x g/mol = g/L
        base = base / mass if source.dimension == "mass" else base * mass
    return base / target.to_base


def to_canonical(value: float, unit: str, analyte: str) -> float:
    """Convert ``value`` in ``unit`` to the analyte's canonical unit (cortisol: nmol/L)."""
    if analyte not in BIOMARKERS:
        raise PhysiologyError(f"unknown biomarker {analyte!r}")
    biomarker = BIOMARKERS[analyte]
    code = normalise_unit(unit)
    if code not in biomarker.units:
        raise PhysiologyError(
            f"{biomarker.name} is not recorded in {code}; use one of {', '.join(biomarker.units)}"
        )
    return convert(value, code, biomarker.canonical_unit, analyte)
