from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone

from touchstone.accounts.access import TABLET_LOCK, MemberRequest, requires, tablet_ok
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.access import get_client_for
from touchstone.lib.language import activate_for_client
from touchstone.measures import actions
from touchstone.measures.access import get_administration_for, get_alert_for
from touchstone.measures.forms import AnswersForm, CloseAlertForm, StartForm
from touchstone.measures.instruments import definition_for
from touchstone.measures.models import Administration, Mode, RiskAlert, Status
from touchstone.measures.selectors import no_clinician, plan_due_ids
from touchstone.science.instruments import Item


@requires("measures.give")
def start(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    # "Give now" names the questionnaire; else the plan's most overdue one is pre-selected.
    wanted = request.GET.get("instrument") or next(
        iter(plan_due_ids(request.member, client, timezone.localdate())), None
    )
    form = StartForm(request.POST or None, clinic=client.clinic, initial_instrument=wanted)
    if request.method == "POST" and form.is_valid():
        try:
            administration = actions.do_start_administration(
                request.actor,
                client,
                form.cleaned_data["instrument_id"],
                form.cleaned_data["mode"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if administration.mode == Mode.TABLET:
                request.session[TABLET_LOCK] = administration.pk
            return redirect("measures:fill", administration_id=administration.pk)
    if request.method != "POST":
        record(request.actor, Action.READ, client, detail="questionnaire form")
    return render(request, "measures/start.html", {"form": form, "client": client})


def _finished(request: MemberRequest, administration: Administration) -> HttpResponseBase:
    """Where staff land after a questionnaire: its result, or — for roles that give
    questionnaires but may not read scores (front desk) — the client's page."""
    if request.member.can("measures.view"):
        return redirect("measures:result", administration_id=administration.pk)
    return redirect("record:client", client_id=administration.client_id)


@requires("measures.give")
@tablet_ok
def fill(request: MemberRequest, administration_id: int) -> HttpResponseBase:
    administration = get_administration_for(request.member, administration_id)
    tablet = administration.mode == Mode.TABLET
    if request.session.get(TABLET_LOCK) not in (None, administration.pk):
        # A client holds the tablet: their own form only, never another administration.
        return redirect("measures:handback")
    if administration.status != Status.IN_PROGRESS:
        return _finished(request, administration)
    if (
        administration.answers
        and not request.member.can("measures.view")
        and request.session.get(TABLET_LOCK) != administration.pk
    ):
        # Answers already given (a PHQ-9 a clinician started, item 9 included) are scores'
        # raw material: a role that may not read scores does not reopen them. The client
        # holding the tablet (the lock) sees their own answers.
        record(request.actor, Action.READ, administration, detail="denied: partly answered")
        messages.error(
            request, "This questionnaire is partly answered; a clinician or therapist resumes it."
        )
        return redirect("record:client", client_id=administration.client_id)
    if tablet:  # the client holds the tablet: their language (docs/languages.md)
        activate_for_client(request, administration.client)
    definition = definition_for(administration)
    form = AnswersForm(
        definition,
        request.POST or None,
        initial=administration.answers,
        sex=administration.client.scoring_sex,
    )
    if request.method == "POST" and form.is_valid():
        complete = "finish" in request.POST
        try:
            actions.do_save_answers(
                request.actor, administration, form.answers(), complete=complete
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if tablet and complete:
                return render(
                    request,
                    "measures/tablet_thanks.html",
                    {"administration": administration, "clinic": request.member.clinic},
                )
            if complete:
                messages.success(request, "Saved and scored.")
                return _finished(request, administration)
            messages.success(request, "Answers kept. The questionnaire stays in progress.")
            return redirect("measures:fill", administration_id=administration.pk)
    template = "measures/fill_tablet.html" if tablet else "measures/fill.html"
    if not tablet:
        record(request.actor, Action.READ, administration, detail="form")
    return render(
        request,
        template,
        {
            "form": form,
            "administration": administration,
            "definition": definition,
            "client": None if tablet else administration.client,
        },
    )


@requires("account.self")
@tablet_ok
def handback(request: MemberRequest) -> HttpResponseBase:
    """Staff take the tablet back by entering their password; the lock lifts."""
    locked = request.session.get(TABLET_LOCK)
    if not locked:
        return redirect("home")
    error = ""
    if request.method == "POST":
        # authenticate(), not check_password(): failed guesses count towards django-axes'
        # lockout like failed sign-ins, so the client holding the tablet cannot brute-force.
        user = authenticate(
            request,
            username=request.user.get_username(),
            password=request.POST.get("password", ""),
        )
        if user is not None and user.pk == request.user.pk:
            del request.session[TABLET_LOCK]
            administration = (
                Administration.objects.for_member(request.member).filter(pk=locked).first()
            )
            if administration is not None:
                return _finished(request, administration)
            return redirect("home")
        error = "That is not your password."
    return render(request, "measures/handback.html", {"error": error})


def _answer_text(item: Item, value: int | None) -> str | None:
    """``"2 — More than half the days"``; the value alone when the option has no text."""
    if value is None:
        return None
    label = next((o.display for o in item.options if o.value == value and o.display), None)
    return f"{value} — {label}" if label else str(value)


@requires("measures.view")
def result(request: MemberRequest, administration_id: int) -> HttpResponse:
    administration = get_administration_for(request.member, administration_id)
    record(request.actor, Action.READ, administration)
    definition = definition_for(administration)
    not_applicable = set(administration.result.get("not_applicable", []))
    answers = [
        (item, _answer_text(item, administration.answers.get(item.link_id)),
         item.link_id in not_applicable)
        for item in definition.items
    ]  # fmt: skip
    total_range = administration.result.get("total_range") or [None, None]
    return render(
        request,
        "measures/result.html",
        {
            "administration": administration,
            "client": administration.client,
            "definition": definition,
            "answers": answers,
            "total_max": total_range[1] if total_range[1] is not None else definition.total_max,
            "alerts": administration.alerts.all(),
            "subscales": [
                (sub.label, administration.result.get("subscales", {}).get(sub.id))
                for sub in definition.subscales
            ],
        },
    )


@requires("alerts.view")
def alert_list(request: MemberRequest) -> HttpResponse:
    alerts = list(
        RiskAlert.objects.for_member(request.member)
        .open()
        .select_related("client", "assigned_to__user", "administration")
    )
    untaken = any(alert.assigned_to_id is None for alert in alerts)
    record(request.actor, Action.LIST, object_type="measures.riskalert", detail="open alerts")
    return render(
        request,
        "measures/alerts.html",
        {"alerts": alerts, "no_clinician": untaken and no_clinician(request.member)},
    )


@requires("alerts.handle")
def alert_detail(request: MemberRequest, alert_id: int) -> HttpResponse:
    alert = get_alert_for(request.member, alert_id)
    form = CloseAlertForm(request.POST or None)
    if request.method == "POST":
        try:
            if "acknowledge" in request.POST:
                actions.do_acknowledge_alert(request.actor, alert)
                messages.success(request, "Acknowledged: the alert is no longer escalated.")
                return redirect("measures:alert", alert_id=alert.pk)
            if "take" in request.POST:
                actions.do_take_alert(request.actor, alert)
                messages.success(request, "You are handling this alert.")
                return redirect("measures:alert", alert_id=alert.pk)
            if form.is_valid():
                actions.do_close_alert(request.actor, alert, form.cleaned_data["action_taken"])
                messages.success(request, "Action recorded; the alert is closed.")
                return redirect("home")
        except ValidationError as error:
            form.add_error(None, error)
    else:
        record(request.actor, Action.READ, alert)
    # The page shows how to reach the client (phones, emergency contact): an audited read of
    # the client's record, only ever for the roles that handle alerts (this view's permission).
    record(
        request.actor, Action.READ, alert.client, detail=f"contact details, risk alert {alert.pk}"
    )
    definition = definition_for(alert.administration)
    item = definition.item(alert.item) if alert.item else None
    return render(
        request,
        "measures/alert_detail.html",
        {
            "alert": alert,
            "client": alert.client,
            "form": form,
            "item": item,
            "answer": alert.administration.answers.get(alert.item) if alert.item else None,
        },
    )
