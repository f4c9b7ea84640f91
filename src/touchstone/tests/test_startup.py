"""The ``touchstone`` command starts without the heavy libraries: pandas, scipy, NeuroKit2
and WeasyPrint are imported by the commands (and the parts of a command) that use them, not
by Django's start-up or a command's module (issue 11 §2: about 2.2 s of start-up before)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: simple_icd_10_cm parses the whole ICD-10-CM tabular list when imported (seconds): claims
#: import it on first use.
HEAVY = (
    "pandas",
    "scipy",
    "neurokit2",
    "weasyprint",
    "matplotlib",
    "duckdb",
    "simple_icd_10_cm",
    "pyx12",
)
#: Commands whose every use, or whose light subcommands, need none of HEAVY.
LIGHT = (
    "backup",
    "change",
    "claims",
    "demo",
    "export",
    "hrv",
    "instruments",
    "report",
    "restore",
    "score",
    "setup",
    "sleep",
    "token",
)

PROBE = f"""
import json, sys, django
django.setup()
from django.core.management import get_commands, load_command_class
loaded = {{"setup": sorted(m for m in {HEAVY!r} if m in sys.modules)}}
commands = get_commands()
for name in {LIGHT!r}:
    load_command_class(commands[name], name)
    loaded[name] = sorted(m for m in {HEAVY!r} if m in sys.modules)
print(json.dumps(loaded))
"""


@pytest.mark.slow
def test_django_start_up_and_light_commands_import_no_heavy_library(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "touchstone.settings",
            "TOUCHSTONE_VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == {name: [] for name in ("setup", *LIGHT)}
