"""Every shipped instrument in every channel, licences and licensed texts (issue 15 §1).

The eleven validated instruments can be given in the clinic, on the tablet and by private
link; the five whose text Touchstone may not ship (EPDS, ISI, PSS-10, MRS, WAI-SR) once the
clinic's owner has entered the licensed text with an attestation. The text is versioned and
never changes the scoring.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient

from touchstone.audit.models import AuditEvent
from touchstone.care.actions import do_create_episode
from touchstone.clients.models import Client
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.instruments.models import InstrumentText
from touchstone.measures.actions import (
    do_enter_instrument_text,
    do_save_answers,
    do_start_administration,
)
from touchstone.measures.instruments import administrable, instrument
from touchstone.measures.models import Administration
from touchstone.science.instruments import Instrument, score

SHIPPED = ["phq9", "phq2", "gad7", "gad2", "phq15", "who5", "epds", "isi", "pss10", "mrs", "waisr"]
LICENSED = ["epds", "isi", "pss10", "mrs", "waisr"]
CHANNELS = ["clinic", "tablet", "portal"]


def licensed_texts(definition: Instrument, mark: str = "licensed") -> dict[str, Any]:
    """A complete text for ``definition`` (what an owner types from the licensed copy)."""
    return {
        "instructions": [f"{definition.title}: {mark} instructions."],
        "items": {
            it.link_id: {
                "text": f"{definition.id} item {it.number} ({mark} text)",
                "options": {o.code: f"{mark} option {o.code}" for o in it.options},
            }
            for it in definition.items
        },
    }


def enter_text(cast: Cast, instrument_id: str, mark: str = "licensed") -> InstrumentText:
    return do_enter_instrument_text(
        actor_of(cast.alice),
        instrument_id,
        licensed_texts(instrument(instrument_id), mark),
        "Licence 2026-117 (holder's letter of 3 March 2026)",
    )


def answers_for(definition: Instrument) -> dict[str, int]:
    """A full, valid response: each scored item at its second-highest value."""
    out = {}
    for it in definition.items:
        values = sorted({o.value for o in it.options} or range(it.min_value, it.max_value + 1))
        out[it.link_id] = values[-2]
    return out


def give(
    cast: Cast, client: Client, instrument_id: str, channel: str
) -> tuple[str, Administration]:
    """Give the instrument through the web in ``channel``; returns the form page and the
    completed administration."""
    definition = instrument(instrument_id)
    answers = answers_for(definition)
    http = cast.browser_for(cast.tess)
    if channel == "portal":
        created = http.post(
            f"/clients/{client.pk}/links/new/", {"instrument_ids": [instrument_id], "valid_days": 3}
        ).content.decode()
        url = re.search(r'value="http://testserver(/p/[^"]+)"', created).group(1)
        a = Administration.objects.latest("id")
        portal = HttpClient()
        page = portal.get(url).content.decode()
        post = {f"a{a.pk}-{k}": str(v) for k, v in answers.items()}
        done = portal.post(url, {**post, "finish": "1"})
    else:
        http.post(
            f"/clients/{client.pk}/questionnaires/new/",
            {"instrument_id": instrument_id, "mode": channel},
        )
        a = Administration.objects.latest("id")
        page = http.get(f"/measures/administrations/{a.pk}/").content.decode()
        done = http.post(
            f"/measures/administrations/{a.pk}/",
            {**{k: str(v) for k, v in answers.items()}, "finish": "1"},
        )
    assert done.status_code in (200, 302), done.content.decode()[:500]
    a.refresh_from_db()
    return page, a


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_every_shipped_instrument_is_given_and_scored_in_every_channel(
    cast: Cast, instrument_id: str, channel: str
):
    if instrument_id in LICENSED:
        enter_text(cast, instrument_id)
    definition = instrument(instrument_id)
    page, a = give(cast, make_client(cast.harbour), instrument_id, channel)
    expected = score(definition, answers_for(definition))
    assert (a.status, a.mode, a.total, a.severity) == (
        "completed",
        channel,
        expected.total,
        expected.severity or "",
    )
    assert a.total is not None
    first = definition.items[0]
    if instrument_id in LICENSED:
        assert f"{instrument_id} item 1 (licensed text)" in page  # the clinic's text is shown
        assert a.text is not None and a.text.version == 1
    else:
        assert first.text and first.text[:30] in page.replace("&#x27;", "'")
        assert a.text is None
    if definition.licence.citation:
        assert definition.licence.citation[:40] in page.replace("&#x27;", "'")


@pytest.mark.parametrize("instrument_id", LICENSED)
def test_a_licensed_instrument_without_its_text_is_refused_where_a_person_reads_it(
    cast: Cast, instrument_id: str
):
    client = make_client(cast.harbour)
    assert instrument_id not in {i.id for i in administrable(cast.harbour)}
    for mode in CHANNELS:
        with pytest.raises(ValidationError, match="licensed"):
            do_start_administration(actor_of(cast.tess), client, instrument_id, mode)
    http = cast.browser_for(cast.tess)
    form = http.get(f"/clients/{client.pk}/questionnaires/new/").content.decode()
    assert f'value="{instrument_id}"' not in form
    refused = http.post(
        f"/clients/{client.pk}/links/new/", {"instrument_ids": [instrument_id], "valid_days": 3}
    )
    assert refused.status_code == 200 and not Administration.objects.exists()
    # Answer values alone (API, import) need no text: the clinic holds the paper copies.
    assert do_start_administration(actor_of(cast.tess), client, instrument_id, "api").text is None


def test_another_clinics_text_does_not_license_this_clinic(cast: Cast):
    do_enter_instrument_text(
        actor_of(cast.charlie), "epds", licensed_texts(instrument("epds")), "Northside licence"
    )
    assert "epds" in {i.id for i in administrable(cast.northside)}
    assert "epds" not in {i.id for i in administrable(cast.harbour)}
    with pytest.raises(ValidationError, match="licensed"):
        do_start_administration(actor_of(cast.tess), make_client(cast.harbour), "epds", "clinic")


def test_texts_are_versioned_and_never_change_the_score(cast: Cast):
    client = make_client(cast.harbour)
    first = enter_text(cast, "isi", "first")
    a1 = do_start_administration(actor_of(cast.tess), client, "isi", "clinic")
    second = enter_text(cast, "isi", "second")
    a2 = do_start_administration(actor_of(cast.tess), client, "isi", "clinic")
    answers = answers_for(instrument("isi"))
    for a in (a1, a2):
        do_save_answers(actor_of(cast.tess), a, answers, complete=True)
    assert (first.version, second.version) == (1, 2)
    assert (a1.text, a2.text) == (first, second)  # each keeps the text it showed
    assert a1.result == a2.result and a1.total == score(instrument("isi"), answers).total
    http = cast.browser_for(cast.bob)
    old = http.get(f"/measures/administrations/{a1.pk}/result/").content.decode()
    assert "isi item 1 (first text)" in old and "Licensed text version 1" in old
    assert "Licence 2026-117" in old  # the attestation travels with the administration


def test_the_owner_enters_a_text_through_the_web_with_an_attestation(cast: Cast):
    http = cast.browser_for(cast.alice)
    library = http.get("/measures/instruments/").content.decode()
    assert "Royal College of Psychiatrists" in library and "enter the licensed text" in library
    form = http.get("/measures/instruments/epds/text/").content.decode()
    assert "epds-10" in form  # the template lists every linkId to fill
    texts = licensed_texts(instrument("epds"))
    no_attest = http.post(
        "/measures/instruments/epds/text/",
        {"texts": json.dumps(texts), "licence_reference": "RCPsych permission 2026/44"},
    )
    assert "This field is required" in no_attest.content.decode()
    saved = http.post(
        "/measures/instruments/epds/text/",
        {
            "texts": json.dumps(texts),
            "licence_reference": "RCPsych permission 2026/44",
            "attest": "on",
        },
    )
    assert saved["Location"] == "/measures/instruments/"
    text = InstrumentText.objects.get()
    assert (text.attested_by, text.licence_reference, text.version) == (
        cast.alice,
        "RCPsych permission 2026/44",
        1,
    )
    event = AuditEvent.objects.filter(object_type="instruments.instrumenttext").latest("id")
    assert event.action == "create" and "epds licensed text v1" in event.detail


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ("{not json", "Not valid JSON (line 1"),
        ('{"items": {"epds-99": {"text": "x"}}}', "items.epds-99: not an item of epds"),
        ('{"items": {"epds-1": {"text": "Only one"}}}', "These have no text yet: epds-2"),
        ('{"items": {"epds-1": {"options": {"nope": "x"}}}}', "options.nope: unknown option"),
        ('["a list"]', "The texts are one JSON object."),
    ],
)
def test_a_bad_text_gets_a_clear_message_and_nothing_is_stored(
    cast: Cast, texts: str, message: str
):
    response = cast.browser_for(cast.alice).post(
        "/measures/instruments/epds/text/",
        {"texts": texts, "licence_reference": "ref", "attest": "on"},
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not InstrumentText.objects.exists()


def test_only_the_owner_enters_texts_and_free_instruments_have_none_to_enter(cast: Cast):
    for member in (cast.bob, cast.tess, cast.fiona, cast.rita):
        assert cast.browser_for(member).get("/measures/instruments/epds/text/").status_code == 403
    assert cast.browser_for(cast.alice).get("/measures/instruments/phq9/text/").status_code == 404
    with pytest.raises(ValidationError, match="ships with its text"):
        do_enter_instrument_text(actor_of(cast.alice), "phq9", {"items": {}}, "ref")


def test_the_plan_takes_a_licensed_instrument_once_its_text_is_entered(cast: Cast):
    client = make_client(cast.harbour)
    with pytest.raises(ValidationError, match="enters the clinic's licensed text"):
        do_create_episode(
            actor_of(cast.bob), client, {"title": "Postpartum", "plan_intake": ["epds"]}
        )
    enter_text(cast, "epds")
    episode = do_create_episode(
        actor_of(cast.bob), client, {"title": "Postpartum", "plan_intake": ["epds", "phq9"]}
    )
    assert episode.plan_intake == ["epds", "phq9"]
    form = cast.browser_for(cast.bob).get(f"/clients/{client.pk}/episodes/new/").content.decode()
    assert 'value="epds"' in form and 'value="isi"' not in form
