"""The translation catalogues (docs/languages.md): every marked string of the client's pages
and messages has its translation, none fuzzy, and the committed .mo is the compiled .po.

Needs GNU gettext (``makemessages`` runs xgettext and msgmerge; scripts/system-packages.sh
installs it). The extraction runs on a copy of the package, never on the committed files."""

from __future__ import annotations

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

PACKAGE = Path(settings.PACKAGE_DIR)
CATALOGUES = sorted((PACKAGE / "locale").glob("*/LC_MESSAGES/django.po"))


def _gettext_tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: install GNU gettext (scripts/system-packages.sh)"
    return path


def _entries(po: Path, *flags: str) -> str:
    """msgattrib's selection of ``po`` (nothing at all when no entry matches)."""
    result = subprocess.run(
        [_gettext_tool("msgattrib"), *flags, "--no-obsolete", str(po)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout


def test_there_is_a_spanish_catalogue_and_every_language_offered_has_one():
    offered = {code for code, _ in settings.LANGUAGES} - {settings.LANGUAGE_CODE}
    assert offered <= {po.parents[1].name for po in CATALOGUES}
    assert "es" in offered


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parents[1].name)
def test_makemessages_leaves_nothing_untranslated_or_fuzzy(po, tmp_path, monkeypatch, settings):
    copy = tmp_path / "touchstone"
    shutil.copytree(
        PACKAGE,
        copy,
        ignore=shutil.ignore_patterns(
            "static", "tests", "migrations", "__pycache__", "*.json", "*.csv", "*.mo"
        ),
    )
    before = po.read_bytes()
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    _gettext_tool("xgettext")
    # The options of scripts/messages.sh.
    call_command(
        "makemessages",
        locale=[po.parents[1].name],
        add_location="file",
        ignore_patterns=["tests", "static"],
        verbosity=0,
    )
    extracted = copy / po.relative_to(PACKAGE)
    assert po.read_bytes() == before  # the committed catalogue is left alone
    assert "msgid" in extracted.read_text()
    untranslated = _entries(extracted, "--untranslated")
    assert untranslated == "", f"Untranslated (run scripts/messages.sh):\n{untranslated}"
    fuzzy = _entries(extracted, "--only-fuzzy")
    assert fuzzy == "", f"Fuzzy, to check and translate again:\n{fuzzy}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parents[1].name)
def test_the_committed_mo_is_the_compiled_po(po, tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run([_gettext_tool("msgfmt"), "--check", "-o", str(fresh), str(po)], check=True)
    with fresh.open("rb") as a, po.with_suffix(".mo").open("rb") as b:
        expected, committed = gettext.GNUTranslations(a), gettext.GNUTranslations(b)
    assert committed._catalog == expected._catalog, "Run scripts/messages.sh and commit the .mo"  # type: ignore[attr-defined]
