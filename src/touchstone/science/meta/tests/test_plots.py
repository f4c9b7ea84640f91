"""Forest and funnel plots: well-formed, accessible SVG that shows the data it is given."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from touchstone.science.meta.bias import trimfill
from touchstone.science.meta.models import rma
from touchstone.science.meta.plots import forest_svg, funnel_svg
from touchstone.science.meta.tests.conftest import METAFOR

NS = {"svg": "http://www.w3.org/2000/svg"}
BCG = METAFOR["bcg"]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 -- our own output, not untrusted XML


def test_it_draws_an_accessible_forest_plot_with_one_row_per_study() -> None:
    labels = [f"Trial {i + 1}" for i in range(13)]
    res = rma(BCG["yi"], BCG["vi"])
    root = _parse(forest_svg(BCG["yi"], BCG["vi"], labels, res, transf="exp", uid="bcg"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "bcg-title bcg-desc"
    assert root.find("svg:title", NS) is not None
    desc = root.find("svg:desc", NS)
    assert desc is not None and "13 studies" in (desc.text or "")
    assert "Pooled estimate 0.49" in (desc.text or "")  # exp(-0.7145), metafor README RR 0.49
    studies = root.findall("svg:g[@class='study']", NS)
    assert len(studies) == 13
    assert root.findall(".//svg:line[@class='prediction-interval']", NS)


def test_it_escapes_study_labels() -> None:
    svg = forest_svg([0.1, 0.2], [0.01, 0.02], ["<script>", "A & B"])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    _parse(svg)


def test_it_omits_the_prediction_interval_for_a_fixed_effect_model() -> None:
    res = rma(BCG["yi"], BCG["vi"], method="FE")
    root = _parse(forest_svg(BCG["yi"], BCG["vi"], [str(i) for i in range(13)], res))
    assert not root.findall(".//svg:line[@class='prediction-interval']", NS)


def test_it_draws_a_funnel_plot_with_filled_studies_open() -> None:
    tf = trimfill(BCG["yi"], BCG["vi"], method="FE")
    svg = funnel_svg(BCG["yi"], BCG["vi"], tf.result, filled=(tf.yi_filled, tf.vi_filled))
    root = _parse(svg)
    assert len(root.findall("svg:circle[@class='study']", NS)) == 13
    assert len(root.findall("svg:circle[@class='filled']", NS)) == 4  # trimfill.html: 4 missing
    assert root.find("svg:desc", NS) is not None


def test_it_is_deterministic() -> None:
    assert funnel_svg(BCG["yi"], BCG["vi"]) == funnel_svg(BCG["yi"], BCG["vi"])


def test_it_needs_one_label_per_study() -> None:
    with pytest.raises(ValueError, match="labels"):
        forest_svg([0.1, 0.2], [0.01, 0.02], ["only one"])


def test_it_draws_rows_beside_the_pooled_estimate_apart_from_the_studies() -> None:
    res = rma(BCG["yi"], BCG["vi"])
    labels = [str(i) for i in range(13)]
    beside = [("Practice-based study (this clinic)", -0.4, 0.02)]
    title = "Not pooled: uncontrolled practice-based data"
    root = _parse(forest_svg(BCG["yi"], BCG["vi"], labels, res, beside=beside, beside_title=title))
    assert len(root.findall("svg:g[@class='study']", NS)) == 13
    group = root.find("svg:g[@class='beside']", NS)
    assert group is not None
    rows = group.findall("svg:g[@class='not-pooled']", NS)
    assert len(rows) == 1
    title = rows[0].find("svg:title", NS)
    assert title is not None and "(not pooled)" in (title.text or "")
    desc = root.find("svg:desc", NS)
    assert desc is not None and "Shown below, not pooled" in (desc.text or "")
    # the summary is the same model with or without the row beside it
    plain = _parse(forest_svg(BCG["yi"], BCG["vi"], labels, res))
    plain_desc = plain.find("svg:desc", NS)
    assert plain_desc is not None and plain_desc.text
    assert (desc.text or "").startswith(plain_desc.text)
    summary = root.find("svg:g[@class='summary']/svg:title", NS)
    plain_summary = plain.find("svg:g[@class='summary']/svg:title", NS)
    assert summary is not None and plain_summary is not None
    assert summary.text == plain_summary.text
    with pytest.raises(ValueError, match="beside"):
        forest_svg([0.1, 0.2], [0.01, 0.02], ["a", "b"], beside=[("x", 0.1, 0.0)])


def test_it_draws_the_intervals_at_the_models_level() -> None:
    # metafor's forest() and funnel() take the level from the fitted model
    res = rma(BCG["yi"], BCG["vi"], level=0.9)
    forest = forest_svg(BCG["yi"], BCG["vi"], [f"T{i}" for i in range(13)], res)
    assert "Estimate [90% CI]" in forest and "(90% CI " in forest and "95%" not in forest
    first = f"{BCG['yi'][0]:.2f} [{BCG['yi'][0] - 1.6448536269514722 * BCG['vi'][0] ** 0.5:.2f}"
    assert first in forest  # qnorm(0.95) = 1.6448536269514722
    funnel = funnel_svg(BCG["yi"], BCG["vi"], res)
    assert "pseudo 90% confidence region" in funnel
    assert "Estimate [95% CI]" in forest_svg([0.2, 0.5], [0.04, 0.09], ["A", "B"])
