"""Episodes and visits reached through the tenant boundary (views and API)."""

from __future__ import annotations

from touchstone.accounts.access import get_for
from touchstone.accounts.models import StaffMember
from touchstone.care.models import Episode, Visit


def get_episode_for(member: StaffMember, episode_id: int) -> Episode:
    return get_for(member, Episode.objects.select_related("client"), pk=episode_id)


def get_visit_for(member: StaffMember, visit_id: int) -> Visit:
    return get_for(
        member,
        Visit.objects.select_related(
            "client",
            "episode",
            "therapist__user",
            "signed_by__user",
            "clearance__recorded_by__user",
            "clearance_override_by__user",
        ),
        pk=visit_id,
    )
