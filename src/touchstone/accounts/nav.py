"""The main menu of every staff page (``base.html``): one table of its entries and the
permission that shows each, so a role sees the pages it may open.

The menu of a role is worked out once per process (the URL tree and the permission table do
not change while it runs) and handed to the template as plain links.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf

from touchstone.accounts.roles import role_has
from touchstone.lib.urls import fixed_url


@dataclass(frozen=True, slots=True)
class MenuEntry:
    label: str
    #: (permission, URL name): the first pair whose permission the role holds is the link;
    #: none held, no entry. A None permission: every active member.
    targets: tuple[tuple[str | None, str], ...]


MAIN_MENU: tuple[MenuEntry, ...] = (
    MenuEntry("Home", ((None, "home"),)),
    MenuEntry("Calendar", (("schedule.view", "scheduling:calendar"),)),
    MenuEntry("Clients", (("clients.view", "clients:list"),)),
    MenuEntry("Alerts", (("alerts.view", "measures:alerts"),)),
    # The clinic's dashboard (client names) or, for researchers, its de-identified version.
    MenuEntry(
        "Outcomes",
        (("outcomes.view", "outcomes:dashboard"), ("research.aggregates", "outcomes:research")),
    ),
    MenuEntry("Evidence", (("evidence.view", "evidence:list"),)),
    MenuEntry("Claims", (("claims.view", "claims:list"),)),
    MenuEntry("Studies", (("trials.view", "trials:list"),)),
    MenuEntry("Payer report", (("reports.payer", "reports:payer"),)),
    MenuEntry("Research export", (("interop.research_export", "interop:research"),)),
    MenuEntry("Staff", (("staff.manage", "accounts:staff"),)),
    MenuEntry("Audit log", (("audit.view", "accounts:audit"),)),
    MenuEntry("Messages", (("messages.view", "messaging:list"),)),
    MenuEntry("On call", (("oncall.manage", "messaging:on_call"),)),
    MenuEntry("Jobs", (("jobs.view", "jobs:list"),)),
    MenuEntry("Questionnaires", (("instruments.manage", "measures:library"),)),
    MenuEntry("Clinic", (("clinic.settings", "accounts:clinic"),)),
)


@dataclass(frozen=True, slots=True)
class MenuLink:
    label: str
    url: str


def menu_for(role: str, active: bool) -> tuple[MenuLink, ...]:
    """The main menu of a member with ``role`` (only Home for an inactive membership, whose
    pages are all refused)."""
    return _menu(role, active, str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix())


@lru_cache(maxsize=64)
def _menu(role: str, active: bool, urlconf: str, prefix: str) -> tuple[MenuLink, ...]:
    # urlconf and prefix are part of the key: the URLs below are reversed under them.
    links = []
    for entry in MAIN_MENU:
        for permission, url_name in entry.targets:
            if permission is None or (active and role_has(role, permission)):
                links.append(MenuLink(entry.label, fixed_url(url_name)))
                break
    return tuple(links)
