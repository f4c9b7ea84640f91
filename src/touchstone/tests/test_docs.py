"""The docs that restate the code: the roles table and the settings table stay true to it."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from touchstone.accounts.roles import PERMISSIONS, Role

DOCS = Path(settings.BASE_DIR) / "docs"
COLUMNS = [Role.OWNER, Role.CLINICIAN, Role.THERAPIST, Role.FRONT_DESK, Role.RESEARCHER]


def _section(page: str, heading: str) -> str:
    text = (DOCS / page).read_text()
    return text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_it_documents_every_permission_with_the_roles_that_hold_it():
    documented: dict[str, frozenset[Role]] = {}
    for line in _section("architecture.md", "Roles").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 1 + len(COLUMNS) or "`" not in cells[0]:
            continue
        roles = frozenset(r for r, cell in zip(COLUMNS, cells[1:], strict=True) if cell == "✓")
        for name in re.findall(r"`([a-z_]+\.[a-z_]+)`", cells[0]):
            documented[name] = roles
    assert documented == dict(PERMISSIONS)


def test_it_documents_exactly_the_environment_variables_the_settings_read():
    source = (Path(settings.PACKAGE_DIR) / "settings.py").read_text()
    read = set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', source))
    table = _section("deploy.md", "Settings")
    documented = {
        name
        for line in table.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([A-Z][A-Z_]+)`", line.split("|")[1])
    }
    assert documented == read
