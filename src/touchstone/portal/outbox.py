"""The send job's last guard for private links (``messaging.actions.register_send_check``,
connected in ``PortalConfig.ready``): a queued message whose link no longer works (used,
revoked, expired, or its client archived) is recorded as not sent, "link_gone", instead of
sending the client a link that opens "This link is not available". The actions void such
messages when a link is used or revoked (``do_void_link_messages``), and the plan's sweep
when its links expire; this guard covers what no action sees happen: a staff-sent or booking
link that expires while its message is held by the quiet hours."""

from __future__ import annotations

from django.db.models import F, Q

from touchstone.messaging.models import Message
from touchstone.portal.models import PortalLink, link_named_by


def dead_link_messages(messages: list[Message]) -> dict[int, str]:
    """The messages among ``messages`` (one clinic's) whose private link no longer works,
    by pk, with the reason "link_gone". One query, none when no message carries a link."""
    named = {m.pk: ref for m in messages if (ref := link_named_by(m.key)) is not None}
    if not named:
        return {}
    link_pks = {pk for kind, pk in named.values() if kind == "link"}
    delivery_pks = {pk for kind, pk in named.values() if kind == "delivery"}
    links = (
        PortalLink.objects.filter(clinic_id=messages[0].clinic_id)
        .filter(Q(pk__in=link_pks) | Q(delivery__pk__in=delivery_pks))
        .select_related("client")
        .annotate(delivery_pk=F("delivery__pk"))
        .only("pk", "purpose", "expires_at", "used_at", "revoked_at", "client__archived_at")
    )
    works: set[tuple[str, int]] = set()
    for link in links:
        if link.usable and link.client.archived_at is None:
            works.add(("link", link.pk))
            delivery_pk = getattr(link, "delivery_pk")  # noqa: B009 (the annotation)
            if delivery_pk is not None:
                works.add(("delivery", delivery_pk))
    return {pk: "link_gone" for pk, ref in named.items() if ref not in works}
