"""The tabs of the client record: one table of what each tab is, where it lives and which
permission opens it.

Every tab is a page under ``/clients/<id>/``; some are served by the app that owns their data
(the body measures by physiology, the account by billing, the history of changes by clients)
and carry the same header. A role sees only the tabs its permissions open, and the view
behind each tab requires that same permission, so a hidden tab answers 403 when requested
(``record/tests/test_tabs.py`` checks the two agree).
"""

from __future__ import annotations

from dataclasses import dataclass

from touchstone.accounts.models import StaffMember
from touchstone.lib.urls import fixed_url


@dataclass(frozen=True, slots=True)
class Tab:
    key: str
    label: str
    url_name: str
    #: The permission the tab's view requires (``accounts.roles.PERMISSIONS``).
    permission: str


TABS: tuple[Tab, ...] = (
    Tab("overview", "Overview", "record:client", "clients.view"),
    Tab("appointments", "Appointments", "record:appointments", "schedule.view"),
    Tab("chart", "Chart", "record:chart", "care.view"),
    Tab("measures", "Measures", "record:progress", "measures.view"),
    Tab("body", "Body", "physiology:overview", "physiology.view"),
    Tab("billing", "Billing", "billing:client", "billing.view"),
    Tab("documents", "Documents", "record:documents", "clients.view"),
    Tab("history", "History", "clients:history", "clients.history"),
)

BY_KEY = {tab.key: tab for tab in TABS}


@dataclass(frozen=True, slots=True)
class TabLink:
    label: str
    url: str
    current: bool


def tabs_for(member: StaffMember, client_id: int, current: str) -> list[TabLink]:
    """The tabs ``member`` may open for client ``client_id``, ``current`` marked; no query,
    and no ``reverse`` once each tab's URL has been worked out (``lib.urls.fixed_url``)."""
    if current not in BY_KEY:
        raise KeyError(f"unknown client-record tab {current!r}")
    return [
        TabLink(tab.label, fixed_url(tab.url_name, client_id), tab.key == current)
        for tab in TABS
        if member.can(tab.permission)
    ]
