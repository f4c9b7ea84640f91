"""The portal's answers to other apps' signals."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from touchstone.audit.actor import Actor
from touchstone.clients.models import Client
from touchstone.clients.signals import client_archived
from touchstone.portal.actions import do_revoke_portal_link
from touchstone.portal.models import PortalLink


@receiver(client_archived)
def revoke_links_of_archived_client(sender: Any, actor: Actor, client: Client, **_: Any) -> None:
    """An archived client's private links are revoked (audited), not merely hidden: a restore
    must not bring a link sent months ago back to life."""
    links = PortalLink.objects.filter(clinic=client.clinic, client=client, revoked_at__isnull=True)
    for link in links:
        do_revoke_portal_link(actor, link)
