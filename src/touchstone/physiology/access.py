"""Physiology rows reached through the tenant boundary (views and API)."""

from __future__ import annotations

from touchstone.accounts.access import get_for
from touchstone.accounts.models import StaffMember
from touchstone.physiology.models import Recording


def get_recording_for(member: StaffMember, recording_id: int) -> Recording:
    """A recording without its beats (``rr_ms`` is deferred: pages show the metrics)."""
    return get_for(
        member,
        Recording.objects.select_related("client", "visit").defer("rr_ms"),
        pk=recording_id,
    )
