import math

import pytest

from touchstone.science.physiology import PhysiologyError
from touchstone.science.physiology.units import (
    BIOMARKERS,
    convert,
    molar_mass,
    normalise_unit,
    to_canonical,
)


def test_it_computes_the_molar_mass_of_cortisol():
    # 362.46 g/mol: C21H30O5 with IUPAC 2005 atomic weights (21x12.0107 + 30x1.00794 +
    # 5x15.9994 = 362.4599); PubChem CID 5754 lists 362.5 to one decimal.
    assert molar_mass("C21H30O5") == pytest.approx(362.46, abs=0.005)
    assert BIOMARKERS["cortisol"].molar_mass == pytest.approx(362.46, abs=0.005)


def test_it_converts_cortisol_ug_dl_to_nmol_l_with_the_exact_factor():
    # 1 ug/dL = 10 ug/L = 10e-6 g/L / 362.4599 g/mol = 27.5893 nmol/L (hand computed)
    assert convert(1.0, "ug/dL", "nmol/L") == pytest.approx(10_000 / 362.4599, rel=1e-9)
    assert convert(1.0, "ug/dL", "nmol/L") == pytest.approx(27.5893, abs=1e-4)


def test_it_converts_cortisol_ng_ml_to_nmol_l():
    # 1 ng/mL = 1 ug/L -> 1000 / 362.4599 = 2.75893 nmol/L (hand computed)
    assert convert(1.0, "ng/mL", "nmol/L") == pytest.approx(2.75893, abs=1e-5)


def test_it_converts_ug_dl_to_ng_ml_without_molar_mass():
    # 1 ug/dL = 10 ng/mL (pure mass units: 1e-5 g/L vs 1e-6 g/L)
    assert convert(1.0, "ug/dL", "ng/mL") == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("unit_a", "unit_b"),
    [("nmol/L", "ug/dL"), ("nmol/L", "ng/mL"), ("ug/dL", "ng/mL"), ("pg/mL", "nmol/L")],
)
def test_it_round_trips_every_cortisol_unit(unit_a, unit_b):
    value = 13.7
    assert convert(convert(value, unit_a, unit_b), unit_b, unit_a) == pytest.approx(value)


@pytest.mark.parametrize("spelling", ["µg/dL", "μg/dL", "ug/dL", " ug/dl "])
def test_it_accepts_micro_spellings_as_the_ucum_code(spelling):
    assert normalise_unit(spelling) == "ug/dL"


def test_it_converts_serotonin_with_its_own_molar_mass():
    # serotonin C10H12N2O = 176.2151 g/mol (IUPAC 2005 weights; PubChem CID 5202: 176.21)
    expected = 1000 / (10 * 12.0107 + 12 * 1.00794 + 2 * 14.0067 + 15.9994)
    assert convert(1.0, "ng/mL", "nmol/L", analyte="serotonin") == pytest.approx(expected)
    assert expected == pytest.approx(5.6749, abs=1e-4)


def test_it_gives_the_canonical_unit_of_a_biomarker():
    assert to_canonical(1.0, "ug/dL", "cortisol") == pytest.approx(27.5893, abs=1e-4)
    assert to_canonical(2.0, "mg/dL", "crp") == pytest.approx(20.0)


@pytest.mark.parametrize("value", [0.0, -1.0, math.nan, math.inf])
def test_it_rejects_impossible_concentrations(value):
    with pytest.raises(PhysiologyError, match="concentration"):
        convert(value, "nmol/L", "ug/dL")


def test_it_rejects_an_unknown_unit():
    with pytest.raises(PhysiologyError, match="unknown unit 'mg/cup'"):
        convert(1.0, "mg/cup", "nmol/L")


def test_it_rejects_an_unknown_biomarker():
    with pytest.raises(PhysiologyError, match="unknown biomarker"):
        to_canonical(1.0, "nmol/L", "unobtainium")


def test_it_rejects_a_unit_the_biomarker_is_not_recorded_in():
    with pytest.raises(PhysiologyError, match="not recorded in U/L"):
        to_canonical(1.0, "U/L", "cortisol")


def test_it_refuses_mass_to_molar_for_a_protein_without_molar_mass():
    with pytest.raises(PhysiologyError, match="no exact conversion"):
        convert(1.0, "mg/L", "nmol/L", analyte="crp")


def test_it_rejects_an_unreadable_formula():
    with pytest.raises(PhysiologyError, match="cannot read"):
        molar_mass("C21-H30")
    with pytest.raises(PhysiologyError, match="no atomic weight"):
        molar_mass("C2Xe")
