"""Give a test client a preferred language.

``Client.preferred_language`` arrives with the clients migration of issue 15 (instrument
texts per language). With the field, the language is stored; before it, the client model
answers from a per-test table, read the same way (``lib.language.client_language``)."""

from __future__ import annotations

from typing import Any

import pytest

from touchstone.clients.models import Client


def _has_field() -> bool:
    return any(f.name == "preferred_language" for f in Client._meta.get_fields())


def prefer(monkeypatch: pytest.MonkeyPatch, client: Client, language: str) -> Client:
    """Store ``language`` as ``client``'s preferred language; returns the client."""
    if _has_field():
        Client.objects.filter(pk=client.pk).update(preferred_language=language)
        client.refresh_from_db()
        return client
    table: dict[int, str] = getattr(Client, "_test_languages", {})
    table[client.pk] = language
    monkeypatch.setattr(Client, "_test_languages", table, raising=False)

    def preferred_language(self: Any) -> str:
        return Client._test_languages.get(self.pk, "en")  # type: ignore[attr-defined]

    monkeypatch.setattr(Client, "preferred_language", property(preferred_language), raising=False)
    return client
