"""Instrument names as clinicians write them, from one source (issue 17 §4)."""

from __future__ import annotations

from django.template import Context, Template

from touchstone.instruments.templatetags.instrument_tags import instrument_name


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
