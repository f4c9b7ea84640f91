from __future__ import annotations

import base64
import datetime as dt
from io import BytesIO
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from touchstone.accounts import actions
from touchstone.accounts.access import (
    TABLET_LOCK,
    MemberRequest,
    current_member,
    get_for,
    is_verified,
    public,
    requires,
    second_factor_due,
)
from touchstone.accounts.forms import (
    AuditFilterForm,
    ClinicSettingsForm,
    InviteForm,
    OTPCodeForm,
    StaffChangeForm,
    TokenForm,
)
from touchstone.accounts.middleware import web_actor
from touchstone.accounts.models import ApiToken, StaffMember, StaffNotice
from touchstone.accounts.roles import Role
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action, AuditEvent
from touchstone.lib.http import client_address

# --- Signing in and out, passwords (Django's views, marked as deliberately public) -------
login = public(
    auth_views.LoginView.as_view(
        template_name="accounts/login.html", redirect_authenticated_user=True
    )
)
logout = public(auth_views.LogoutView.as_view())


class _ThrottledResetForm(PasswordResetForm):
    """Django's reset form, sending no e-mail beyond the limits (the page says the same
    either way, so it neither reveals accounts nor the throttling)."""

    actor: Actor

    def get_users(self, email: str) -> Any:
        return (u for u in super().get_users(email) if actions.may_send_reset_mail(self.actor, u))


class _ResetView(auth_views.PasswordResetView):
    form_class = _ThrottledResetForm

    def form_valid(self, form: Any) -> HttpResponse:
        form.actor = self.request.actor  # type: ignore[attr-defined]
        return super().form_valid(form)


class _ResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        actor = Actor.of_user(form.user, "web", client_address(self.request))
        actions.do_revoke_all_tokens(actor, form.user, "api token, password reset")
        return response


password_reset = public(
    _ResetView.as_view(
        template_name="accounts/password_reset.html",
        email_template_name="accounts/password_reset_email.txt",
        success_url=reverse_lazy("accounts:password_reset_done"),
    )
)
password_reset_done = public(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
)
password_reset_confirm = public(
    _ResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html",
        success_url=reverse_lazy("accounts:password_reset_complete"),
    )
)
password_reset_complete = public(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"
    )
)
password_change = requires("account.self")(
    auth_views.PasswordChangeView.as_view(
        template_name="accounts/password_change.html", success_url=reverse_lazy("accounts:profile")
    )
)


def _safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or fallback
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


# --- Two-factor authentication (django-otp TOTP devices) ------------------------------------
@public
def verify(request: HttpRequest) -> HttpResponse:
    """Second step of signing in: a code from the user's authenticator app."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if not user_has_device(request.user) or is_verified(request.user):
        return redirect(_safe_next(request))
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            record(
                web_actor(request),
                Action.LOGIN,
                object_type="auth.user",
                object_id=request.user.pk,
                detail="second factor",
            )
            return redirect(_safe_next(request))
        form.add_error("code", "That code is not valid now. Check the clock on your phone.")
    return render(request, "accounts/verify.html", {"form": form, "next": _safe_next(request)})


def _typed_key(key: bytes) -> str:
    """The key as authenticator apps take it typed in: Base32 (RFC 4648), the same text as the
    QR code's ``otpauth://`` URI carries, in groups of four. Not hex: Google Authenticator and
    Aegis read a typed key as Base32, so a hex key is refused or gives the wrong codes."""
    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@public
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up (or replace) the user's TOTP device: scan, confirm with one code."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if request.session.get(TABLET_LOCK):  # public, so ``requires`` does not apply the lock
        return redirect(settings.TABLET_HANDBACK_URL)
    has_device = user_has_device(request.user)
    if has_device and not is_verified(request.user):
        return redirect(f"{reverse_lazy('accounts:verify')}?next={request.path}")
    member = current_member(request)
    # The first sign-in to a clinic that requires two-factor (a new one: ``touchstone setup``)
    # comes through here before any page; a login that chose it, or a new phone, does not.
    gate = member is not None and second_factor_due(request.user, member) == "enrol"
    device, _ = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            actions.do_confirm_two_factor(web_actor(request), device)
            otp_login(request, device)
            if gate:
                messages.success(request, _first_steps(member))
                return redirect("home")
            messages.success(request, "Two-factor sign-in is on.")
            return redirect("accounts:profile")
        form.add_error("code", "That code does not match. Scan again and use the newest code.")
    return render(
        request,
        "accounts/two_factor.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device.config_url),
            "secret": _typed_key(device.bin_key),
            "has_device": has_device,
            # A first enrolment the clinic requires reads as one, not as the login's choice.
            "required": gate,
        },
    )


#: What to do first once two-factor sign-in is on, for whoever may (in a new clinic, its
#: owner): (permission, the step with its link, the linked page).
FIRST_STEPS = (
    ("clinic.settings", 'check the time zone and details in <a href="{}">Clinic settings</a>',
     "accounts:clinic"),
    ("clinic.settings", 'add services and working hours in <a href="{}">Scheduling settings</a>',
     "scheduling:settings"),
    ("staff.manage", '<a href="{}?role=clinician">invite a licensed clinician</a> before sending '
     "questionnaires: risk alerts go to clinicians", "accounts:staff_invite"),
)  # fmt: skip


def _first_steps(member: StaffMember | None) -> str:
    """The message after the enrolment of a first sign-in: that it worked and what to do
    next, each step a link to its page, as far as the member's role may take it."""
    steps = [
        (format_html(step, reverse(page)),)
        for permission, step, page in FIRST_STEPS
        if member is not None and member.can(permission)
    ]
    if not steps:
        return "Two-factor sign-in is on."
    return format_html("Two-factor sign-in is on. Next: {}.", format_html_join("; ", "{}", steps))


# --- The signed-in user's own account ---------------------------------------------------------
@requires("account.self")
@require_POST
def notice_dismiss(request: MemberRequest, notice_id: int) -> HttpResponse:
    notice = get_for(request.member, StaffNotice.objects, pk=notice_id)
    actions.do_dismiss_notice(request.actor, notice)
    return redirect("home")


@requires("account.self")
def profile(request: MemberRequest) -> HttpResponse:
    tokens = ApiToken.objects.for_member(request.member)
    return render(
        request,
        "accounts/profile.html",
        {
            "tokens": tokens,
            "token_form": TokenForm(),
            "has_device": user_has_device(request.user),
            "now": timezone.now(),
        },
    )


@requires("account.self")
@require_POST
def token_create(request: MemberRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the token a name (up to 100 characters).")
        return redirect("accounts:profile")
    days = form.cleaned_data["valid_days"]
    _, secret = actions.do_create_token(
        request.actor, form.cleaned_data["name"], int(days) if days else None
    )
    return render(request, "accounts/token_created.html", {"secret": secret})


@requires("account.self")
@require_POST
def token_revoke(request: MemberRequest, token_id: int) -> HttpResponse:
    token = get_for(request.member, ApiToken.objects, pk=token_id)
    actions.do_revoke_token(request.actor, token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:profile")


# --- Running the clinic (owners) --------------------------------------------------------------
@requires("staff.manage")
def staff_list(request: MemberRequest) -> HttpResponse:
    staff = StaffMember.objects.for_member(request.member).select_related("user")
    return render(request, "accounts/staff_list.html", {"staff": staff})


@requires("staff.manage")
def staff_invite(request: MemberRequest) -> HttpResponse:
    # ``?role=clinician``: the links that ask the owner to invite a clinician pre-select it.
    wanted = {"role": request.GET["role"]} if request.GET.get("role") in Role.values else {}
    form = InviteForm(request.POST or None, clinic=request.member.clinic, initial=wanted)
    if request.method == "POST" and form.is_valid():
        member = actions.do_invite_staff(
            request.actor, form.cleaned_data, request.build_absolute_uri("/")[:-1]
        )
        messages.success(request, f"Invitation sent to {member.user.email}.")
        return redirect("accounts:staff")
    return render(request, "accounts/staff_invite.html", {"form": form})


@requires("staff.manage")
def staff_edit(request: MemberRequest, staff_id: int) -> HttpResponse:
    colleague = get_for(request.member, StaffMember.objects.select_related("user"), pk=staff_id)
    form = StaffChangeForm(
        request.POST or None,
        initial={
            "role": colleague.role,
            "is_active": colleague.is_active,
            "phone": colleague.phone,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_change_staff(
                request.actor,
                colleague,
                form.cleaned_data["role"],
                form.cleaned_data["is_active"],
                form.cleaned_data["phone"],
            )
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Saved.")
            return redirect("accounts:staff")
    return render(request, "accounts/staff_edit.html", {"form": form, "colleague": colleague})


@requires("clinic.settings")
def clinic_settings(request: MemberRequest) -> HttpResponse:
    clinic = request.member.clinic
    form = ClinicSettingsForm(request.POST or None, instance=clinic)
    if request.method == "POST" and form.is_valid():
        actions.do_update_clinic(request.actor, form.instance, form.changed_data)
        messages.success(request, "Clinic settings saved.")
        return redirect("accounts:clinic")
    return render(request, "accounts/clinic.html", {"form": form})


@requires("audit.view")
def audit_log(request: MemberRequest) -> HttpResponse:
    """The clinic's audit log, newest first, filterable. Read-only by construction."""
    events = AuditEvent.objects.for_member(request.member).select_related("actor")
    form = AuditFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["object_type"]:
            events = events.filter(object_type=data["object_type"])
        if data["object_id"]:
            events = events.filter(object_id=data["object_id"])
        if data["actor"]:
            events = events.filter(actor_label__iexact=data["actor"])
        tz = timezone.get_current_timezone()
        if data["since"]:
            events = events.filter(at__gte=dt.datetime.combine(data["since"], dt.time(), tz))
        if data["until"]:
            end = dt.datetime.combine(data["until"] + dt.timedelta(days=1), dt.time(), tz)
            events = events.filter(at__lt=end)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "audit/list.html", {"page": page, "form": form})
