"""Private links: staff create and revoke them; a client opens one without an account and
sees nothing but their own questionnaires or their own progress."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from touchstone.accounts.access import MemberRequest, current_member, get_for, public, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.care.models import Episode
from touchstone.clients.access import get_client_for
from touchstone.lib.language import activate_for_client
from touchstone.measures.actions import do_save_answers
from touchstone.measures.forms import AnswersForm
from touchstone.measures.instruments import definition_for
from touchstone.measures.models import Administration, Status
from touchstone.measures.progress import client_series
from touchstone.measures.selectors import plan_due_ids
from touchstone.messaging.models import Channel, Message
from touchstone.portal.access import appointment_actor, gone, portal_actor
from touchstone.portal.actions import (
    do_create_portal_link,
    do_open_portal_link,
    do_revoke_portal_link,
    do_use_portal_link,
)
from touchstone.portal.appointments import Purpose as AppointmentPurpose
from touchstone.portal.appointments import find_appointment
from touchstone.portal.booking import booking_url
from touchstone.portal.forms import PortalLinkForm
from touchstone.portal.models import PortalLink, Purpose, find_link
from touchstone.portal.sending import do_send_booking_link, do_send_portal_link, link_channel
from touchstone.scheduling.actions import do_cancel_appointment, do_confirm_appointment
from touchstone.scheduling.models import UPCOMING
from touchstone.scheduling.models import Status as AppointmentStatus


@public
@never_cache
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    link = find_link(token)
    if link is None:
        return gone(request, token)
    actor = portal_actor(request, link)
    timezone.activate(link.clinic.zone)  # dates on the client's pages are the clinic's
    activate_for_client(request, link.client)  # words in the client's language
    if link.purpose != Purpose.PROGRESS:
        do_open_portal_link(actor, link)
    if link.purpose == Purpose.SLEEP_DIARY:
        return redirect("physiology:diary", token=token)
    if link.purpose == Purpose.BOOKING:
        return redirect("portal:book", token=token)
    if link.purpose == Purpose.PROGRESS:
        member = current_member(request) if request.user.is_authenticated else None
        if member is not None and not member.can("measures.view"):
            # Front desk hands links out but reads no scores, not even through a link.
            raise PermissionDenied("Your role does not allow reading scores.")
        record(actor, Action.READ, link.client, detail="portal progress")
        completed = Administration.objects.filter(
            clinic=link.clinic, client=link.client, status=Status.COMPLETED
        )
        episodes = Episode.objects.filter(clinic=link.clinic, client=link.client).values_list(
            "started_on", "ended_on"
        )
        series = client_series(completed, list(episodes), criteria=link.clinic.change_criteria)
        return render(
            request,
            "portal/progress.html",
            {"link": link, "series": series, "clinic": link.clinic},
        )

    administrations = list(
        link.administrations.filter(status=Status.IN_PROGRESS).select_related("text", "client")
    )
    forms = [
        (
            a,
            AnswersForm(
                definition_for(a),
                request.POST or None,
                initial=a.answers,
                prefix=f"a{a.pk}",
                sex=link.client.scoring_sex,
            ),
        )
        for a in administrations
    ]
    risk = False
    unanswered = 0
    if request.method == "POST" and all(form.is_valid() for _, form in forms):
        as_they_are = "as_they_are" in request.POST
        finish = "finish" in request.POST or as_they_are
        if finish and not as_they_are:
            # A question skipped by mistake can leave a total that cannot be scored: ask once
            # before finishing (the answers given are kept meanwhile), as paper would be
            # handed back. The client may still send them as they are.
            unanswered = _mark_unanswered(forms)
            finish = not unanswered
        try:
            for administration, form in forms:
                do_save_answers(actor, administration, form.answers(), complete=finish)
        except ValidationError as error:
            forms[0][1].add_error(None, error)
        else:
            risk = any(a.risk_flags for a in administrations)
            if finish:
                do_use_portal_link(actor, link)
                return render(
                    request,
                    "portal/thanks.html",
                    {"clinic": link.clinic, "risk": risk, "book_url": booking_url(link, token)},
                )
    record(actor, Action.READ, link, detail="portal form")
    return render(
        request,
        "portal/fill.html",
        {
            "link": link,
            "forms": [(a, f.definition, f) for a, f in forms],
            "clinic": link.clinic,
            "risk": risk,
            "saved": request.method == "POST",
            "unanswered": unanswered,
        },
    )


def _mark_unanswered(forms: list[tuple[Administration, AnswersForm]]) -> int:
    """Mark each required question (the scored ones; not PHQ-9's "how difficult") left blank
    on the client's valid ``forms``; how many there are."""
    blank = 0
    for _administration, form in forms:
        required = {item.link_id for item in form.definition.items if item.required}
        for name in list(form.fields):
            if name in required and form.cleaned_data.get(name) is None:
                form.add_error(name, _("Not answered yet."))
                blank += 1
    return blank


# An appointment's confirm and cancel links (its reminders carry them) ---------------------------


def _appointment_page(
    request: HttpRequest, token: str, purpose: AppointmentPurpose
) -> HttpResponse:
    appointment = find_appointment(token, purpose)
    if appointment is None:
        return gone(request)
    actor = appointment_actor(request, appointment)
    timezone.activate(appointment.clinic.zone)
    activate_for_client(request, appointment.client)
    error = ""
    if request.method == "POST" and appointment.status in UPCOMING:
        try:
            if purpose == "confirm":
                do_confirm_appointment(actor, appointment)
            else:
                do_cancel_appointment(actor, appointment, by_client=True)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
    else:
        record(actor, Action.READ, appointment, detail=f"portal {purpose} link")
    context = {
        "appointment": appointment,
        "clinic": appointment.clinic,
        "purpose": purpose,
        "error": error,
        "confirmed": appointment.status == AppointmentStatus.CONFIRMED,
        "cancelled": appointment.status not in UPCOMING,
    }
    return render(request, "portal/appointment.html", context)


@public
@never_cache
def appointment_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """A reminder's confirm link: the appointment and a button (the POST confirms)."""
    return _appointment_page(request, token, "confirm")


@public
@never_cache
def appointment_cancel(request: HttpRequest, token: str) -> HttpResponse:
    """A reminder's cancel link: the appointment and a button (the POST cancels, under the
    clinic's cancellation policy: inside its notice the client is asked to call)."""
    return _appointment_page(request, token, "cancel")


# Staff: create and revoke links ---------------------------------------------------------------


def _created(request: MemberRequest, link: PortalLink) -> HttpResponse:
    """The link-ready page: the link to copy, and a button to send it by the client's channel
    when it can go (``send_by``: "email", "sms" or "")."""
    url = request.build_absolute_uri(reverse("portal:open", args=[link.token]))
    return render(
        request,
        "portal/link_created.html",
        {"client": link.client, "link": link, "url": url, "send_by": link_channel(link)},
    )


@requires("measures.give")
def link_create(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    form = PortalLinkForm(
        request.POST or None,
        clinic=client.clinic,
        client=client,
        due=plan_due_ids(request.member, client, timezone.localdate()),
    )
    if request.method == "POST" and form.is_valid():
        try:
            link = do_create_portal_link(
                request.actor,
                client,
                Purpose.QUESTIONNAIRES,
                form.cleaned_data["instrument_ids"],
                timezone.now() + timedelta(days=form.cleaned_data["valid_days"]),
                form.cleaned_data["language"] or None,  # blank: the client's language
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _created(request, link)
    if request.method != "POST":
        record(request.actor, Action.READ, client, detail="private link form")
    return render(request, "portal/link_form.html", {"form": form, "client": client})


@requires("measures.view")
@require_POST
def progress_link_create(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    link = do_create_portal_link(
        request.actor, client, Purpose.PROGRESS, [], timezone.now() + timedelta(days=7)
    )
    return _created(request, link)


@requires("measures.give")
@require_POST
def link_send(request: MemberRequest, link_id: int) -> HttpResponse:
    """The link-ready page's "Send this link to the client by e-mail" (or text message): the
    link is queued by the client's channel; back to the client page, saying what happened."""
    link = get_for(request.member, PortalLink.objects.select_related("client"), pk=link_id)
    try:
        message = do_send_portal_link(request.actor, link)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(
            request,
            _("The link goes to %(name)s by %(channel)s%(held)s.")
            % {"name": link.client.full_name, **_how_it_goes(message)},
        )
    return redirect("record:client", client_id=link.client_id)


def _how_it_goes(message: Message) -> dict[str, str]:
    """The message's channel in words, and whether the clinic's quiet hours hold it."""
    return {
        "channel": _("text message") if message.channel == Channel.SMS else _("e-mail"),
        "held": _(" (after the clinic's quiet hours)")
        if message.send_after > timezone.now()
        else "",
    }


@requires("measures.give")
@require_POST
def link_revoke(request: MemberRequest, link_id: int) -> HttpResponse:
    link = get_for(request.member, PortalLink.objects.select_related("client"), pk=link_id)
    do_revoke_portal_link(request.actor, link)
    messages.success(request, "The link no longer works.")
    return redirect("record:client", client_id=link.client_id)


@requires("schedule.book")
@require_POST
def booking_link_send(request: MemberRequest, client_id: int) -> HttpResponse:
    """The "Send booking link" button (client page, appointment page): a private link to book
    their next visit, by the client's channel; back to the page it was sent from, with what
    happened (a clear refusal when the client opted out or cannot be reached)."""
    client = get_client_for(request.member, client_id)
    try:
        message = do_send_booking_link(request.actor, client)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(
            request,
            _("A booking link goes to %(name)s by %(channel)s%(held)s.")
            % {"name": client.full_name, **_how_it_goes(message)},
        )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("record:client", args=[client.pk])
    return redirect(back)
