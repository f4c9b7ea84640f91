"""Instrument names as clinicians write them, from one source (issue 17 §4)."""

from __future__ import annotations

from django.template import Context, Template
from django.utils.translation import override

from touchstone.instruments.catalogue import instrument
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


def test_the_notes_under_a_chart_are_those_of_the_definition_in_the_pages_language():
    # Rendered once per definition and language, then reused: the reuse must not carry one
    # language's words into another, nor one definition's bands to another.
    notes = Template("{% load instrument_tags %}{% score_notes d %}")
    for _ in range(2):
        phq9 = notes.render(Context({"d": instrument("phq9")}))
        gad7 = notes.render(Context({"d": instrument("gad7")}))
        with override("es"):
            spanish = notes.render(Context({"d": instrument("phq9")}))
        assert "Bands: 0–4 minimal" in phq9 and "Each score covers the last 2 weeks" in phq9
        assert "20–27" in phq9 and "20–27" not in gad7
        assert "Cada puntaje abarca las últimas 2 semanas" in spanish
