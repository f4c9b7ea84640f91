"""Private links a client opens without an account."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import ClassVar

from django.core import signing
from django.db import models
from django.utils import timezone

from touchstone.accounts.access import ClinicOwned, ClinicOwnedQuerySet
from touchstone.accounts.models import StaffMember
from touchstone.clients.models import Client
from touchstone.logs import bind_clinic
from touchstone.measures.models import Administration

SALT = "touchstone.portal.link"


class Purpose(models.TextChoices):
    QUESTIONNAIRES = "questionnaires", "Questionnaires to fill"
    PROGRESS = "progress", "The client's own progress"
    SLEEP_DIARY = "sleep_diary", "Daily sleep diary"
    BOOKING = "booking", "Book a visit"


class PortalLinkQuerySet(ClinicOwnedQuerySet["PortalLink"]):
    def open(self) -> PortalLinkQuerySet:
        """Links a client could still open: not revoked, not expired, not spent."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now()).exclude(
            purpose=Purpose.QUESTIONNAIRES, used_at__isnull=False
        )


class PortalLink(ClinicOwned):
    """A signed link for one client: single use for questionnaires, expiring always (a sleep
    diary link's ``used_at`` is its first submitted night; it keeps working).

    The URL carries ``signing.dumps({"id": pk, "n": nonce})``: it cannot be forged or
    guessed, and the stored nonce lets a link be revoked.
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="portal_links")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    nonce = models.CharField(max_length=32, default="", editable=False)
    administrations = models.ManyToManyField(Administration, blank=True, related_name="links")
    created_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: sent automatically by the measurement plan (portal.delivery).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(
        null=True, blank=True, help_text="When the client first opened it."
    )
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PortalLinkQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link #{self.pk}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.nonce:
            self.nonce = secrets.token_urlsafe(16)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def token(self) -> str:
        return signing.dumps({"id": self.pk, "n": self.nonce}, salt=SALT, compress=True)

    @property
    def usable(self) -> bool:
        now = timezone.now()
        if self.revoked_at is not None or now >= self.expires_at:
            return False
        # A diary is kept night after night: its first submission is recorded (``used_at``,
        # "completed" on the deliveries list), and it works until it expires.
        return self.purpose in (Purpose.PROGRESS, Purpose.SLEEP_DIARY) or self.used_at is None


class Delivery(ClinicOwned):
    """One automatic sending of an episode's due questionnaires (or its sleep diary) as a
    private link (``portal.delivery``): before a visit (``appointment``) or on the plan's
    schedule. ``items`` names what it covers, ``"<instrument>@<occasion>"`` (the occasion: the
    day an intake or periodic questionnaire fell due, or ``appt<id>`` for one visit's
    questionnaires), so nothing is sent twice for the same occasion; ``key`` is unique per
    clinic for the same reason under concurrency. ``link`` is empty when nothing was sent
    (``skip_reason``: opted out, no address). Holds no answers: those are the link's
    administrations."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("care.Episode", on_delete=models.CASCADE, related_name="+")
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    key = models.CharField(max_length=80)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    items = models.JSONField(default=list)
    link = models.OneToOneField(
        PortalLink, on_delete=models.PROTECT, null=True, blank=True, related_name="delivery"
    )
    skip_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sweep found its link expired unfilled."
    )

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic", "key"], name="one_delivery_per_key")
        ]

    def __str__(self) -> str:
        return f"delivery #{self.pk} ({self.get_purpose_display()})"

    @property
    def message_key(self) -> str:
        """The key of the message that carries the link (``messaging.Message.key``)."""
        return f"{DELIVERED_LINK}:{self.pk}"

    @property
    def reminder_key(self) -> str:
        """The key of the one reminder for the link."""
        return f"{self.message_key}:reminder"

    @property
    def instrument_ids(self) -> list[str]:
        return sorted({item.partition("@")[0] for item in self.items})


#: How the key of a message that carries a private link names it (``messaging.Message.key``):
#: ``link:<link>`` (a questionnaire link staff sent from the link-ready page),
#: ``booking:<link>`` (a booking link), ``measures:<delivery>`` and
#: ``measures:<delivery>:reminder`` (the measurement plan's delivery and its reminder).
SENT_LINK, BOOKING_LINK, DELIVERED_LINK = "link", "booking", "measures"


def link_message_key(prefix: str, link_pk: int) -> str:
    """``link:<pk>`` (``SENT_LINK``) or ``booking:<pk>`` (``BOOKING_LINK``)."""
    return f"{prefix}:{link_pk}"


def link_message_keys(link_pk: int, deliveries: Iterable[Delivery]) -> list[str]:
    """The keys of every message that can carry link ``link_pk`` (delivered as
    ``deliveries``: none, or its one delivery)."""
    keys = [link_message_key(prefix, link_pk) for prefix in (SENT_LINK, BOOKING_LINK)]
    for delivery in deliveries:
        keys += [delivery.message_key, delivery.reminder_key]
    return keys


def link_named_by(key: str) -> tuple[str, int] | None:
    """What a message key names: ``("link", pk)`` for a link, ``("delivery", pk)`` for a
    delivery's message or reminder, None for a message that carries no private link."""
    prefix, _, rest = key.partition(":")
    number = rest.partition(":")[0]
    if not number.isdigit():
        return None
    if prefix in (SENT_LINK, BOOKING_LINK):
        return "link", int(number)
    return ("delivery", int(number)) if prefix == DELIVERED_LINK else None


def _signed(token: str) -> dict[str, int | str] | None:
    """The link's id and nonce a token carries (``pk`` and ``nonce`` filters), or None when
    Touchstone did not sign it."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return None
    return {"pk": data["id"], "nonce": str(data.get("n", ""))}


def link_client(token: str) -> Client | None:
    """The client a genuine link was made for, whatever has become of it (used, expired,
    revoked), or None for a token Touchstone did not sign. Only to say, in the client's own
    language, that the link no longer works: nothing else is read through it."""
    signed = _signed(token)
    if signed is None:
        return None
    link = (
        PortalLink.objects.select_related("client")
        .filter(**signed)
        .only("client", "client__preferred_language")
        .first()
    )
    return None if link is None else link.client


def find_link(token: str, *, spent_ok: bool = False) -> PortalLink | None:
    """The usable link behind ``token``, or None (bad signature, revoked, used, expired,
    or the client archived). ``spent_ok``: a questionnaire link already submitted still
    counts until it expires or is revoked (the client's booking pages: single use is about
    answers, not about booking the next visit)."""
    signed = _signed(token)
    if signed is None:
        return None
    link = (
        PortalLink.objects.select_related("client", "clinic")
        .filter(**signed, client__archived_at__isnull=True)
        .first()
    )
    if link is None or not (link.usable or (spent_ok and _unexpired(link))):
        return None
    bind_clinic(link.clinic_id)  # the request's later log lines name the tenant
    return link


def _unexpired(link: PortalLink) -> bool:
    return link.revoked_at is None and timezone.now() < link.expires_at
