"""Who does something, and through which door: the one value every action and every audited
read takes (Zulip's ``acting_user``, with the tenant and the channel beside it).

An ``Actor`` is built once at the edge of each channel and passed down; nothing below the
edge looks at an ``HttpRequest`` to find out who acts:

========  ==============================================================================
channel   built by
========  ==============================================================================
web       ``accounts.middleware.MembershipMiddleware`` (``request.actor``, from the login)
api       ``accounts.api_auth.TokenAuth`` (the token's staff member)
portal    ``portal.access.portal_actor`` (no user: the client behind a private link)
cli       ``accounts.commands.TouchstoneCommand.actor_for`` (no user: the operator)
job       ``Actor.system("job", clinic)`` in ``accounts.jobs.clinic_job`` (the worker)
========  ==============================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # types only: the audit trail sits below accounts in the layer map
    from touchstone.accounts.models import Clinic, StaffMember

Channel = Literal["web", "api", "portal", "cli", "job"]
CHANNELS: tuple[Channel, ...] = ("web", "api", "portal", "cli", "job")


@dataclass(frozen=True)
class Actor:
    """The user (if any), their staff membership (if any), the clinic acted in, the channel
    and the caller's address. Frozen: built once, never changed on the way down."""

    channel: Channel
    clinic: Clinic | None = None
    member: StaffMember | None = None
    user: Any = None  # settings.AUTH_USER_MODEL instance, or None
    address: str | None = None

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")

    @classmethod
    def of_member(cls, member: StaffMember, channel: Channel, address: str | None = None) -> Actor:
        """A staff member acting in their clinic."""
        return cls(channel, member.clinic, member, member.user, address)

    @classmethod
    def of_user(cls, user: Any, channel: Channel, address: str | None = None) -> Actor:
        """A signed-in (or signing-in) user, with their membership if they have one; an
        anonymous visitor when ``user`` is None or not authenticated."""
        if user is None or not getattr(user, "is_authenticated", False):
            return cls(channel, address=address)
        member = getattr(user, "staff_member", None)
        return cls(channel, member.clinic if member else None, member, user, address)

    @classmethod
    def system(cls, channel: Channel, clinic: Clinic | None = None) -> Actor:
        """Touchstone itself acting for a clinic: a command run by the operator, a job."""
        return cls(channel, clinic)

    @property
    def staff(self) -> StaffMember:
        """The acting staff member, for actions only staff may take."""
        if self.member is None:
            raise PermissionError("only a staff member may do this")
        return self.member

    @property
    def label(self) -> str:
        """The username at the time, as the audit log keeps it ('' for no user)."""
        return self.user.get_username() if self.user is not None else ""
