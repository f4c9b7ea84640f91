"""Instrument names as clinicians write them, from one source (issue 17 §4)."""

from __future__ import annotations

from django.template import Context, Template

from touchstone.instruments.templatetags.instrument_tags import instrument_name, readable_source


def test_it_writes_validated_instruments_as_clinicians_do():
    assert instrument_name("phq9") == "PHQ-9"
    assert instrument_name("gad7") == "GAD-7"


def test_it_shows_an_id_no_definition_knows_rather_than_failing_the_page(db: None):
    assert instrument_name("c99-withdrawn") == "c99-withdrawn"


def test_it_joins_a_measurement_plan_in_words():
    html = Template("{% load instrument_tags %}{{ plan|instrument_names }}").render(
        Context({"plan": ["phq9", "gad7"]})
    )
    assert html == "PHQ-9, GAD-7"


def test_it_writes_a_definitions_source_note_without_reference_keys_or_file_names():
    # Issue 17 §4: no file names or internal ids in the interface.
    assert readable_source("[Kroenke-2001]; alert on 20-27 per instruments.md 2.3") == (
        "Kroenke 2001; alert on 20-27"
    )
    assert readable_source("instruments.md 1.1 [Kroenke-2001], [LHC-PHQ9]") == "Kroenke 2001"
    assert readable_source("DESIGN.md Clinical safety rules; instruments.md 2.1 [Simon-2013]") == (
        "Clinical safety rules; Simon 2013"
    )
    assert readable_source("[CAM-PHQ9], [USC-Q]") == ""
    assert readable_source(None) == ""
