"""What staff read is written for them (issue 17 §4): instrument names from the one display
source, never an upper-cased id ("PHQ9"), and no pointer into the developer documentation
(``docs/*.md``) in any template."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt"})


def test_no_template_upper_cases_an_instrument_id():
    offenders = [
        str(p.relative_to(TEMPLATES))
        for p in _templates()
        if re.search(r"instrument_ids?\s*(\|[^}|]*)*\|upper", p.read_text())
        or re.search(r"plan_(intake|periodic|session)\|join:[^}]*\|upper", p.read_text())
    ]
    assert offenders == []


def test_no_template_sends_the_reader_to_the_developer_documentation():
    offenders = []
    for path in _templates():
        text = re.sub(
            r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", "", path.read_text(), flags=re.S
        )
        if re.search(r"docs/|\b[\w-]+\.md\b", text):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []
