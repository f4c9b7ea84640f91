"""CONSORT flow counts add up box by box, and the SVG shows them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from touchstone.science.trials import Randomised, Screened, consort_flow, consort_svg


def flow():
    screened = (
        [Screened()] * 10
        + [Screened("declined to participate")] * 2
        + [Screened("not meeting inclusion criteria")]
    )
    randomised = [
        Randomised(0, True, True, True),
        Randomised(0, True, False, False, not_analysed_reason="no follow-up score"),
        Randomised(0, False, True, True, not_received_reason="moved away"),
        *[Randomised(0, True, True, True)] * 2,
        *[Randomised(1, True, True, True)] * 4,
        Randomised(1, True, False, False, not_analysed_reason="no follow-up score"),
    ]
    return consort_flow(screened, randomised, ["immediate massage", "wait-list <control>"])


def test_it_counts_each_box():
    f = flow()
    assert (f.assessed, f.excluded, f.randomised) == (13, 3, 10)
    assert f.excluded_reasons == {"declined to participate": 2, "not meeting inclusion criteria": 1}
    first, second = f.arms
    assert (first.allocated, first.received, first.not_received) == (5, 4, 1)
    assert first.not_received_reasons == {"moved away": 1}
    assert (first.lost_to_follow_up, first.analysed, first.excluded_from_analysis) == (1, 4, 1)
    assert (second.allocated, second.analysed) == (5, 4)


def test_it_refuses_counts_that_do_not_add_up():
    with pytest.raises(ValueError, match="screened"):
        consort_flow([Screened()], [Randomised(0, True, True, True)] * 2, ["a", "b"])
    with pytest.raises(ValueError, match="outside"):
        consort_flow([Screened()], [Randomised(2, True, True, True)], ["a", "b"])


def test_it_draws_a_well_formed_svg_with_every_count_and_escaped_labels():
    svg = consort_svg(flow())
    root = ET.fromstring(svg)  # noqa: S314 -- our own output, not untrusted XML
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Assessed for eligibility (n = 13)" in texts
    assert "Randomised (n = 10)" in texts
    assert "Allocated to wait-list <control> (n = 5)" in texts
    assert "  declined to participate (n = 2)" in texts
    assert texts.count("Analysed (n = 4)") == 2
    assert "<control>" not in svg  # escaped in the source
