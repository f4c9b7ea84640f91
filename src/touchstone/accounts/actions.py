"""Staff, clinic-setting and token changes: validated, transactional, audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django_otp.plugins.otp_totp.models import TOTPDevice

from touchstone.accounts.models import ApiToken, Clinic, StaffMember, StaffNotice, hash_token
from touchstone.accounts.roles import FOUNDING_ROLE, role_has, roles_with
from touchstone.audit import writes
from touchstone.audit.actor import Actor
from touchstone.audit.log import fields_detail, record
from touchstone.audit.models import Action, AuditEvent
from touchstone.lib.phones import phone_e164

User = get_user_model()


def _free_slug(name: str) -> str:
    base = (slugify(name) or "clinic")[:50].strip("-") or "clinic"
    slug, n = base, 1
    while Clinic.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def do_set_up_clinic(
    *,
    name: str,
    time_zone: str,
    username: str,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
) -> StaffMember:
    """A new, real clinic and its first owner (``touchstone setup``), all or nothing.

    The clinic requires two-factor sign-in from the start: the owner enrols an authenticator
    at first sign-in. ``password`` must already have passed the password validators.
    Raises ``ValidationError`` (by field) for a clinic name that exists, a taken username or
    any invalid value.
    """
    name = name.strip()
    with transaction.atomic():
        if Clinic.objects.filter(name__iexact=name).exists():
            raise ValidationError(
                {"name": f"A clinic named {name!r} already exists; set up each clinic once."}
            )
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": f"The username {username!r} is taken."})
        clinic = Clinic(
            name=name, slug=_free_slug(name), time_zone=time_zone, require_two_factor=True
        )
        clinic.full_clean()
        clinic.save()
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        user.set_password(password)
        user.full_clean()
        user.save()
        member = StaffMember.objects.create(user=user, clinic=clinic, role=FOUNDING_ROLE)
        actor = Actor.of_member(member, "cli")
        record(actor, Action.CREATE, clinic, detail="clinic set up")
        record(actor, Action.CREATE, member, detail="role owner")
    return member


def do_invite_staff(actor: Actor, data: dict[str, Any], site: str = "") -> StaffMember:
    """Create a login with no usable password and e-mail a link to set one (``site`` is the
    scheme and host the link starts with, e.g. ``https://touchstone.example.org``)."""
    owner = actor.staff
    with transaction.atomic():
        user = User.objects.create_user(
            username=data["username"],
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        member = StaffMember.objects.create(user=user, clinic=owner.clinic, role=data["role"])
        record(actor, Action.CREATE, member, clinic=owner.clinic, detail=f"role {member.role}")
        if role_has(member.role, CLINICAL_READING):
            _tell_clinicians(actor, member, "a new login")
    link = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    send_mail(
        f"You are invited to {owner.clinic.name} on Touchstone",
        f"{owner.display_name} invited you as {member.get_role_display()}.\n\n"
        f"Your username is {user.username}. Choose a password here:\n{site}{link}\n",
        None,
        [user.email],
    )
    return member


def do_change_staff(
    actor: Actor, member: StaffMember, role: str, is_active: bool, phone: str | None = None
) -> None:
    """Change a colleague's role, mobile phone (for alert texts; None keeps it) or deactivate
    them. An owner cannot demote or lock out themselves, so a clinic always keeps at least one
    active owner."""
    owner = actor.staff
    if member.pk == owner.pk and (not role_has(role, "staff.manage") or not is_active):
        raise ValueError("You cannot remove your own owner role or deactivate yourself.")
    if phone and phone_e164(phone) is None:
        raise ValueError(f"{phone!r} is not a phone number a text message can reach.")
    values: dict[str, Any] = {"role": role, "is_active": is_active}
    if phone is not None:
        values["phone"] = phone
    changed = [n for n, v in values.items() if getattr(member, n) != v]
    if not changed:
        return
    gains_clinical_reading = not member.can(CLINICAL_READING) and (
        is_active and role_has(role, CLINICAL_READING)
    )
    for name in changed:
        setattr(member, name, values[name])
    with transaction.atomic():
        member.save(update_fields=changed)
        if not is_active:
            member.user.api_tokens.active().update(revoked_at=timezone.now())
        record(actor, Action.UPDATE, member, clinic=owner.clinic, detail=fields_detail(changed))
        if gains_clinical_reading:
            _tell_clinicians(actor, member, "a role change")


#: The permission that marks the clinician's standing (diagnoses, and with them everything a
#: clinician reads): whoever gains it is announced to the clinicians who hold it.
CLINICAL_READING = "diagnoses.view"


def _tell_clinicians(actor: Actor, member: StaffMember, how: str) -> int:
    """Every other active clinician of the clinic learns that ``member`` now reads what
    clinicians read: a notice on their home page and an e-mail (sent after the commit, through
    Django's mail settings). The grant is audited with the number told. Returns that number.

    So an owner cannot give the clinician role, to a new login or an old one, unseen by the
    clinicians whose records it opens. The clinic's first clinician has nobody to tell: the
    audit event remains."""
    clinicians = list(
        StaffMember.objects.filter(
            clinic_id=member.clinic_id, role__in=roles_with(CLINICAL_READING), is_active=True
        )
        .exclude(pk=member.pk)
        .select_related("user")
    )
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    text = (
        f"{actor.label} gave {member.display_name} (login {member.user.username}) the "
        f"{member.get_role_display()} role through {how} on {when}: they can now read diagnoses "
        "and every score. If you did not expect this, speak to the clinic's owner."
    )
    StaffNotice.objects.bulk_create(
        [StaffNotice(clinic_id=member.clinic_id, recipient=c, text=text) for c in clinicians]
    )
    record(
        actor,
        Action.GRANT,
        member,
        clinic=member.clinic,
        detail=f"role {member.role} through {how}; {len(clinicians)} clinician(s) told",
    )
    addresses = [c.user.email for c in clinicians if c.user.email]
    if addresses:
        subject = f"{member.clinic.name}: a new clinician login"
        transaction.on_commit(lambda: send_mail(subject, text, None, addresses, fail_silently=True))
    return len(clinicians)


def do_dismiss_notice(actor: Actor, notice: StaffNotice) -> None:
    """Take a notice off its recipient's home page (it stays stored)."""
    if notice.recipient_id != actor.staff.pk:
        raise PermissionDenied("Only its recipient dismisses a notice.")
    if notice.dismissed_at is None:
        notice.dismissed_at = timezone.now()
        notice.save(update_fields=["dismissed_at"])


def do_update_clinic(actor: Actor, clinic: Clinic, changed: list[str]) -> None:
    writes.save(actor, clinic, Action.UPDATE, detail=fields_detail(changed))


def do_create_token(actor: Actor, name: str, valid_days: int | None = None) -> tuple[ApiToken, str]:
    """A new API token of the acting user, valid for ``valid_days`` (None: until revoked);
    returns the row and the secret, which is never stored or shown again."""
    secret, prefix = ApiToken.new_secret()
    now = timezone.now()
    expires_at = None if valid_days is None else now + dt.timedelta(days=valid_days)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor.user,
            name=name,
            key_prefix=prefix,
            key_hash=hash_token(secret),
            created_at=now,
            expires_at=expires_at,
        )
        record(actor, Action.GRANT, token, detail=f"api token, {valid_days or 'no'} day limit")
    return token, secret


def do_revoke_all_tokens(actor: Actor, user: Any, reason: str) -> int:
    """Revoke every working API token of ``user`` (their password was reset: whoever had the
    old password may have made tokens). Returns how many."""
    count = 0
    with transaction.atomic():  # all of them or none, also outside a request (a command)
        for token in ApiToken.objects.active().filter(user=user):
            token.revoked_at = timezone.now()
            writes.save(actor, token, Action.REVOKE, update_fields=["revoked_at"], detail=reason)
            count += 1
    return count


#: Password-reset e-mails: at most this many per account, and per caller's address, an hour.
RESET_MAILS_PER_ACCOUNT = 3
RESET_MAILS_PER_ADDRESS = 10
RESET_MAIL_DETAIL = "password reset e-mail"


def may_send_reset_mail(actor: Actor, user: Any) -> bool:
    """Whether another password-reset e-mail to ``user`` is within the limits; every e-mail
    sent or held back is an audit event, and the events are what is counted (one table,
    shared by every worker)."""
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    sent = AuditEvent.objects.filter(
        action=Action.GRANT, object_type="auth.user", detail=RESET_MAIL_DETAIL, at__gte=hour_ago
    )
    allowed = sent.filter(object_id=str(user.pk)).count() < RESET_MAILS_PER_ACCOUNT and (
        actor.address is None
        or sent.filter(ip_address=actor.address).count() < RESET_MAILS_PER_ADDRESS
    )
    record(
        actor,
        Action.GRANT if allowed else Action.LOGIN_FAILED,
        object_type="auth.user",
        object_id=user.pk,
        detail=RESET_MAIL_DETAIL if allowed else "password reset e-mail held back (limit)",
        clinic=getattr(getattr(user, "staff_member", None), "clinic", None),
    )
    return allowed


def do_revoke_token(actor: Actor, token: ApiToken) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    writes.save(actor, token, Action.REVOKE, update_fields=["revoked_at"], detail="api token")


def do_confirm_two_factor(actor: Actor, device: Any) -> None:
    """Make ``device`` the acting user's one confirmed authenticator, replacing any older."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor.user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record(
            actor,
            Action.GRANT,
            object_type="otp_totp.totpdevice",
            object_id=device.pk,
            detail="two-factor device confirmed",
        )
