"""Role checks go through the permission table only (accounts/roles.py): no template or view
tests a role name, and queries ask which roles hold a permission."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from touchstone.accounts.roles import PERMISSIONS, Role, role_has, roles_with

PACKAGE = Path(__file__).resolve().parents[2]
#: A role tested: ``member.role == "owner"``, ``role != "front_desk"``, ``role in (...)``,
#: ``role=Role.OWNER`` or ``role__in=(...)`` in a query.
ROLE_TEST = re.compile(r"\brole\s*(==|!=)|\brole\s+(not\s+)?in\b|role(__in)?=\s*[\[(R]")
#: A role named in code: ``Role.CLINICIAN``.
ROLE_NAME = re.compile(r"\bRole\.[A-Z_]+")
#: Where a role may be named: the table itself, the role field's choices, and the demo's
#: and tests' cast of characters.
ALLOWED = {"accounts/roles.py", "accounts/models.py", "accounts/forms.py"}


def _sources() -> list[Path]:
    return [
        path
        for path in PACKAGE.rglob("*.py")
        if "tests" not in path.parts
        and "migrations" not in path.parts
        and path.name not in ("demo.py", "conftest.py")
        and str(path.relative_to(PACKAGE)) not in ALLOWED
    ]


def test_no_template_tests_a_role_name():
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in (PACKAGE / "templates").rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if ROLE_TEST.search(line.replace("get_role_display", ""))
    ]
    assert offenders == [], "ask for a permission ({% if can.alerts_handle %}) instead"


def test_no_view_action_or_query_names_a_role():
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if ROLE_NAME.search(line) or ROLE_TEST.search(line.replace("get_role_display", ""))
    ]
    assert offenders == [], "use member.can(permission) or roles_with(permission)"


@pytest.mark.parametrize("permission", sorted(PERMISSIONS))
def test_roles_with_a_permission_are_exactly_those_the_table_grants(permission: str):
    assert roles_with(permission) == {role for role in Role if role_has(role, permission)}


def test_diagnoses_are_entered_by_licensed_clinicians_only():
    assert roles_with("diagnoses.edit") == {Role.CLINICIAN}


def test_an_unknown_permission_is_a_programming_error():
    with pytest.raises(KeyError, match=r"add it to accounts\.roles"):
        roles_with("clients.delete")


def test_whatever_the_owner_may_not_do_a_licensed_clinician_may():
    # The owner's 403 page (templates/errors/403.html) says so, and sends them to invite one.
    lacking = [name for name in PERMISSIONS if not role_has(Role.OWNER, name)]
    assert lacking and all(role_has(Role.CLINICIAN, name) for name in lacking)
