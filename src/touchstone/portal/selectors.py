"""Portal's panel of the client record: the private links of a client that still work."""

from __future__ import annotations

from touchstone.accounts.models import StaffMember
from touchstone.clients.models import Client
from touchstone.portal.models import PortalLink


def open_links(member: StaffMember, client: Client) -> list[PortalLink]:
    """Links the client could still open, for staff who send them (``measures.give``);
    empty for other roles. One query."""
    if not member.can("measures.give"):
        return []
    return list(PortalLink.objects.for_member(member).open().filter(client=client))
