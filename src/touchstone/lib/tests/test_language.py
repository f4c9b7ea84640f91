"""lib.language: which language a client reads."""

from __future__ import annotations

from types import SimpleNamespace

from django.utils import translation

from touchstone.lib.language import client_language, override_for_client, supported


def test_it_reads_the_clients_stored_language_and_falls_back_to_the_sites():
    assert client_language(SimpleNamespace(preferred_language="es")) == "es"
    assert client_language(SimpleNamespace(preferred_language="es-MX")) == "es"
    assert client_language(SimpleNamespace(preferred_language="tlh")) == "en"  # not offered
    assert client_language(SimpleNamespace(preferred_language="")) == "en"
    assert client_language(SimpleNamespace()) == "en"  # before the field exists


def test_it_offers_only_the_configured_languages(settings):
    assert supported("es") == "es" and supported("fr") is None and supported(None) is None
    settings.LANGUAGES = [*settings.LANGUAGES, ("fr", "Français")]
    assert supported("fr") == "fr"  # a settings entry (and its catalogue): no code


def test_it_renders_in_the_clients_language_and_restores_the_previous_one():
    with translation.override("en"):
        with override_for_client(SimpleNamespace(preferred_language="es")) as language:
            assert language == "es" and translation.gettext("Thank you") == "Gracias"
        assert translation.get_language() == "en"
