"""Care pages: intake, medications, contraindication screens, episodes, diagnoses, visits and
adverse events. Thin: fetch through ``get_for``, validate with a form, write via actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from touchstone.accounts.access import MemberRequest, get_for, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.care import actions, bodymap, contraindications, icd10
from touchstone.care.access import get_episode_for, get_visit_for
from touchstone.care.forms import (
    AddendumForm,
    AdverseEventForm,
    ClearanceForm,
    DiagnosisForm,
    EpisodeForm,
    IntakeForm,
    MedicationForm,
    ScreenForm,
    VisitForm,
)
from touchstone.care.models import (
    INTAKE_FIELDS,
    RATING_FIELDS,
    VISIT_FIELDS,
    AdverseEvent,
    ContraindicationScreen,
    Diagnosis,
    Episode,
    Intake,
    MedicalClearance,
    Medication,
    Visit,
    VisitAddendum,
    VisitStatus,
)
from touchstone.care.selectors import current_screen, overdue_unsigned_visits, plan_suggestions
from touchstone.clients.access import get_client_for
from touchstone.clients.models import Client

PAGE_SIZE = 25


def _save(form: BaseForm, fields: list[str], save: Callable[[dict[str, Any]], Any]) -> Any:
    """Run an action with the form's data; model errors go next to their fields."""
    try:
        return save({name: form.cleaned_data[name] for name in fields})
    except ValidationError as error:
        if not hasattr(error, "error_dict"):  # e.g. a signed note: not about one field
            form.add_error(None, error.messages)
            return None
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
        return None


# Intake, medications, screens ------------------------------------------------------------


@requires("care.view")
def intake(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    row = Intake.objects.for_member(request.member).filter(client_id=client.pk).first()
    medications = list(Medication.objects.for_member(request.member).filter(client_id=client.pk))
    screens = list(
        ContraindicationScreen.objects.for_member(request.member)
        .filter(client_id=client.pk)
        .select_related("screened_by__user")[:10]
    )
    current = screens[0] if screens else None
    clearances = (
        list(
            MedicalClearance.objects.for_member(request.member)
            .filter(screen_id=current.pk)
            .select_related("recorded_by__user")
        )
        if current is not None and current.result == contraindications.Result.CLEARANCE
        else None
    )
    record(request.actor, Action.READ, row or client, detail="intake")
    return render(
        request,
        "care/intake.html",
        {
            "client": client,
            "intake": row,
            "medications": medications,
            "screens": screens,
            "current_screen": current,
            "clearances": clearances,
        },
    )


@requires("care.edit")
def clearance_create(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    form = ClearanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            list(form.fields),
            lambda data: actions.do_record_clearance(request.actor, client, data),
        )
        if saved is not None:
            messages.success(request, "Medical clearance recorded.")
            return redirect("care:intake", client_id=client.pk)
    if request.method != "POST":
        record(request.actor, Action.READ, client, detail="new medical clearance form")
    return render(
        request,
        "care/form.html",
        {
            "client": client,
            "form": form,
            "title": "Record medical clearance",
            "cancel": ("care:intake", client.pk),
        },
    )


@requires("care.edit")
def intake_edit(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    existing = Intake.objects.for_member(request.member).filter(client_id=client.pk).first()
    instance = existing or Intake(clinic_id=client.clinic_id, client=client)
    form = IntakeForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            INTAKE_FIELDS,
            lambda data: actions.do_save_intake(request.actor, client, data),
        )
        if saved is not None:
            messages.success(request, "Intake saved.")
            return redirect("care:intake", client_id=client.pk)
    elif request.method != "POST":
        record(request.actor, Action.READ, existing or client, detail="edit form")
    return render(
        request,
        "care/form.html",
        {
            "client": client,
            "form": form,
            "title": "Intake",
            "cancel": ("care:intake", client.pk),
        },
    )


@requires("care.edit")
def medication_create(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    form = MedicationForm(
        request.POST or None, instance=Medication(clinic_id=client.clinic_id, client=client)
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            list(form.fields),
            lambda data: actions.do_create_medication(request.actor, client, data),
        )
        if saved is not None:
            messages.success(request, "Medication added.")
            return redirect("care:intake", client_id=client.pk)
    if request.method != "POST":
        record(request.actor, Action.READ, client, detail="new medication form")
    return render(
        request,
        "care/form.html",
        {
            "client": client,
            "form": form,
            "title": "Add a medication",
            "cancel": ("care:intake", client.pk),
        },
    )


@requires("care.edit")
def medication_edit(request: MemberRequest, medication_id: int) -> HttpResponse:
    medication = get_for(
        request.member, Medication.objects.select_related("client"), pk=medication_id
    )
    form = MedicationForm(request.POST or None, instance=medication)
    if request.method == "POST" and form.is_valid():
        fresh = get_for(request.member, Medication.objects, pk=medication_id)
        changed = _save(
            form,
            list(form.fields),
            lambda data: actions.do_update_medication(request.actor, fresh, data),
        )
        if changed is not None:
            messages.success(request, "Saved." if changed else "Nothing changed.")
            return redirect("care:intake", client_id=medication.client_id)
    else:
        record(request.actor, Action.READ, medication, detail="edit form")
    return render(
        request,
        "care/form.html",
        {
            "client": medication.client,
            "form": form,
            "title": f"Change {medication.name}",
            "cancel": ("care:intake", medication.client_id),
        },
    )


@requires("care.view")
def medication_history(request: MemberRequest, medication_id: int) -> HttpResponse:
    medication = get_for(
        request.member, Medication.objects.select_related("client"), pk=medication_id
    )
    versions = list(medication.history.select_related("history_user").order_by("-history_date"))
    rows = []
    for newer, older in zip(versions, [*versions[1:], None], strict=True):
        changes = newer.diff_against(older).changes if older is not None else []
        rows.append({"version": newer, "changes": changes})
    record(request.actor, Action.READ, medication, detail="history")
    return render(
        request,
        "care/medication_history.html",
        {
            "client": medication.client,
            "medication": medication,
            "rows": rows,
        },
    )


@requires("care.edit")
def screen_create(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    previous = current_screen(request.member, client)
    initial = {}
    if previous is not None:
        initial = {
            name: getattr(previous, name)
            for name in ("items", "pregnancy_trimester", "other_text", "precautions")
        }
    form = ScreenForm(
        request.POST or None,
        initial=initial,
        instance=ContraindicationScreen(
            clinic_id=client.clinic_id, client=client, screened_by=request.member
        ),
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            list(form.fields),
            lambda data: actions.do_record_screen(request.actor, client, data),
        )
        if saved is not None:
            messages.success(request, f"Screen recorded: {saved.get_result_display()}.")
            return redirect("care:intake", client_id=client.pk)
    if request.method != "POST":
        record(request.actor, Action.READ, client, detail="new screen form")
    return render(
        request,
        "care/screen_form.html",
        {
            "client": client,
            "form": form,
            "catalogue": contraindications.CATALOGUE,
        },
    )


# Episodes and diagnoses --------------------------------------------------------------------


@requires("care.edit")
def episode_create(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    suggestions = plan_suggestions(client, timezone.localdate())
    suggested = [
        s.suggestion.instrument_id
        for s in suggestions
        if s.available and s.suggestion.instrument_id
    ]
    form = EpisodeForm(
        request.POST or None,
        instance=Episode(clinic_id=client.clinic_id, client=client),
        initial={
            "started_on": timezone.localdate(),
            "plan_intake": suggested,
            "plan_periodic": suggested,
        },
    )
    if request.method == "POST" and form.is_valid():
        episode = _save(
            form,
            list(form.fields),
            lambda data: actions.do_create_episode(request.actor, client, data),
        )
        if episode is not None:
            messages.success(request, "Episode of care opened.")
            return redirect("care:episode", episode_id=episode.pk)
    if request.method != "POST":
        record(request.actor, Action.READ, client, detail="new episode form")
    return render(
        request,
        "care/form.html",
        {
            "client": client,
            "form": form,
            "title": "New episode of care",
            "cancel": ("record:client", client.pk),
            "suggestions": suggestions,
        },
    )


@requires("care.view")
def episode_detail(request: MemberRequest, episode_id: int) -> HttpResponse:
    episode = get_episode_for(request.member, episode_id)
    can_see_diagnoses = request.member.can("diagnoses.view")
    diagnoses = (
        list(
            Diagnosis.objects.for_member(request.member)
            .filter(episode_id=episode.pk)
            .select_related("entered_by__user")
        )
        if can_see_diagnoses
        else []
    )
    visits = list(
        Visit.objects.for_member(request.member)
        .filter(episode_id=episode.pk)
        .select_related("therapist__user")
        .order_by("-starts_at")[:50]
    )
    record(request.actor, Action.READ, episode)
    return render(
        request,
        "care/episode_detail.html",
        {
            "client": episode.client,
            "episode": episode,
            "diagnoses": diagnoses,
            "can_see_diagnoses": can_see_diagnoses,
            "can_enter_diagnoses": request.member.can("diagnoses.edit"),
            "diagnosis_form": DiagnosisForm(),
            "icd10_codes": icd10.codes(),
            "visits": visits,
        },
    )


@requires("care.edit")
def episode_edit(request: MemberRequest, episode_id: int) -> HttpResponse:
    episode = get_episode_for(request.member, episode_id)
    form = EpisodeForm(request.POST or None, instance=episode)
    if request.method == "POST" and form.is_valid():
        fresh = get_episode_for(request.member, episode_id)
        changed = _save(
            form,
            list(form.fields),
            lambda data: actions.do_update_episode(request.actor, fresh, data),
        )
        if changed is not None:
            messages.success(request, "Saved." if changed else "Nothing changed.")
            return redirect("care:episode", episode_id=episode_id)
    else:
        record(request.actor, Action.READ, episode, detail="edit form")
    return render(
        request,
        "care/form.html",
        {
            "client": episode.client,
            "form": form,
            "title": f"Change {episode.title}",
            "cancel": ("care:episode", episode.pk),
        },
    )


@requires("diagnoses.edit")
def diagnosis_create(request: MemberRequest, episode_id: int) -> HttpResponse:
    episode = get_episode_for(request.member, episode_id)
    form = DiagnosisForm(
        request.POST or None,
        instance=Diagnosis(clinic_id=episode.clinic_id, episode=episode, entered_by=request.member),
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            ["code", "source"],
            lambda data: actions.do_add_diagnosis(request.actor, episode, data),
        )
        if saved is not None:
            messages.success(request, f"Diagnosis {saved.code} recorded.")
            return redirect("care:episode", episode_id=episode.pk)
    if request.method != "POST":
        record(request.actor, Action.READ, episode, detail="new diagnosis form")
    return render(
        request,
        "care/diagnosis_form.html",
        {
            "client": episode.client,
            "episode": episode,
            "form": form,
            "icd10_codes": icd10.codes(),
        },
    )


# Visits and adverse events -------------------------------------------------------------------


@requires("care.view")
def visit_list(request: MemberRequest, client_id: int) -> HttpResponse:
    """Moved: the visits are the client record's Chart tab; old links keep working."""
    client = get_client_for(request.member, client_id)
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    return redirect(reverse("record:chart", args=[client.pk]) + query)


def _visit_form_page(
    request: MemberRequest, form: VisitForm, client: Client, visit: Visit | None
) -> HttpResponse:
    screen = current_screen(request.member, client)
    needs_clearance = None
    if screen is not None and screen.result == contraindications.Result.CLEARANCE:
        needs_clearance = {"clearance": screen.clearances.first()}
    return render(
        request,
        "care/visit_form.html",
        {
            "client": client,
            "form": form,
            "visit": visit,
            "needs_clearance": needs_clearance,
            "regions": form.region_rows(),
            "level_labels": bodymap.LEVEL_LABELS,
            "rating_fields": [form[name] for name in RATING_FIELDS],
        },
    )


@requires("care.edit")
def visit_create(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    open_episode = (
        Episode.objects.for_member(request.member)
        .filter(client_id=client.pk, ended_on__isnull=True)
        .first()
    )
    initial: dict[str, Any] = {
        "starts_at": timezone.localtime().replace(second=0, microsecond=0),
        "episode": open_episode,
        # A visit recorded now is being given or was just given: booking ahead is the
        # calendar's (an appointment), so the form starts at "Completed", not "Scheduled".
        "status": VisitStatus.COMPLETED,
    }
    if request.member.can("care.edit"):  # the caller treats: default them as therapist
        initial["therapist"] = request.member
    form = VisitForm(
        request.POST or None,
        initial=initial,
        instance=Visit(clinic_id=client.clinic_id, client=client),
        member=request.member,
        client=client,
    )
    if request.method == "POST" and form.is_valid():
        visit = _save(
            form,
            VISIT_FIELDS,
            lambda data: actions.do_create_visit(request.actor, client, data),
        )
        if visit is not None:
            messages.success(request, "Visit saved.")
            return redirect("care:visit", visit_id=visit.pk)
    if request.method != "POST":
        record(request.actor, Action.READ, client, detail="new visit form")
    return _visit_form_page(request, form, client, None)


@requires("care.view")
def visit_detail(request: MemberRequest, visit_id: int) -> HttpResponse:
    visit = get_visit_for(request.member, visit_id)
    events = list(AdverseEvent.objects.for_member(request.member).filter(visit_id=visit.pk))
    regions = [
        {"region": region, "level": visit.body_map.get(region.code, 0)}
        for region in bodymap.REGIONS
    ]
    addenda = list(
        VisitAddendum.objects.for_member(request.member)
        .filter(visit_id=visit.pk)
        .select_related("signed_by__user")
    )
    record(request.actor, Action.READ, visit)
    return render(
        request,
        "care/visit_detail.html",
        {
            "client": visit.client,
            "visit": visit,
            "addenda": addenda,
            "addendum_form": AddendumForm(),
            "events": events,
            "regions": regions,
            "tense_regions": [r for r in regions if r["level"]],
            "level_labels": bodymap.LEVEL_LABELS,
            "event_form": AdverseEventForm(),
            "can_edit": request.member.can("care.edit"),
        },
    )


@requires("care.edit")
def visit_edit(request: MemberRequest, visit_id: int) -> HttpResponse:
    visit = get_visit_for(request.member, visit_id)
    form = VisitForm(
        request.POST or None, instance=visit, member=request.member, client=visit.client
    )
    if request.method == "POST" and form.is_valid():
        fresh = get_visit_for(request.member, visit_id)
        changed = _save(
            form,
            VISIT_FIELDS,
            lambda data: actions.do_update_visit(request.actor, fresh, data),
        )
        if changed is not None:
            messages.success(request, "Saved." if changed else "Nothing changed.")
            return redirect("care:visit", visit_id=visit_id)
    else:
        record(request.actor, Action.READ, visit, detail="edit form")
    return _visit_form_page(request, form, visit.client, visit)


@requires("care.edit")
@require_POST
def visit_sign(request: MemberRequest, visit_id: int) -> HttpResponse:
    visit = get_visit_for(request.member, visit_id)
    try:
        actions.do_sign_visit(request.actor, visit)
        messages.success(request, "Note signed. Later corrections are dated addenda.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("care:visit", visit_id=visit.pk)


@requires("care.edit")
@require_POST
def addendum_create(request: MemberRequest, visit_id: int) -> HttpResponse:
    visit = get_visit_for(request.member, visit_id)
    form = AddendumForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(list(form.errors["text"]))
        actions.do_add_addendum(request.actor, visit, {"text": form.cleaned_data["text"]})
        messages.success(request, "Addendum signed and added.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("care:visit", visit_id=visit.pk)


@requires("care.edit")
def unsigned_note_list(request: MemberRequest) -> HttpResponse:
    """Every completed visit of the staff member whose note is unsigned past the limit."""
    overdue = overdue_unsigned_visits(request.member, timezone.now())
    page = Paginator(overdue, PAGE_SIZE).get_page(request.GET.get("page"))
    record(
        request.actor,
        Action.LIST,
        object_type="care.visit",
        detail=f"unsigned notes, page {page.number}, {len(page.object_list)} rows",
    )
    return render(
        request,
        "care/unsigned_notes.html",
        {"page": page, "hours": request.member.clinic.unsigned_note_hours},
    )


@requires("care.edit")
def adverse_event_create(request: MemberRequest, visit_id: int) -> HttpResponse:
    visit = get_visit_for(request.member, visit_id)
    form = AdverseEventForm(
        request.POST or None, instance=AdverseEvent(clinic_id=visit.clinic_id, visit=visit)
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            list(form.fields),
            lambda data: actions.do_record_adverse_event(request.actor, visit, data),
        )
        if saved is not None:
            messages.success(request, "Adverse event recorded.")
            return redirect("care:visit", visit_id=visit.pk)
    if request.method != "POST":
        record(request.actor, Action.READ, visit, detail="new adverse event form")
    return render(
        request,
        "care/form.html",
        {
            "client": visit.client,
            "form": form,
            "title": "Record an adverse event",
            "cancel": ("care:visit", visit.pk),
        },
    )


@requires("care.edit")
def adverse_event_edit(request: MemberRequest, adverse_event_id: int) -> HttpResponse:
    event = get_for(
        request.member,
        AdverseEvent.objects.select_related("visit__client"),
        pk=adverse_event_id,
    )
    form = AdverseEventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        fresh = get_for(request.member, AdverseEvent.objects, pk=adverse_event_id)
        changed = _save(
            form,
            list(form.fields),
            lambda data: actions.do_update_adverse_event(request.actor, fresh, data),
        )
        if changed is not None:
            messages.success(request, "Saved." if changed else "Nothing changed.")
            return redirect("care:visit", visit_id=event.visit_id)
    else:
        record(request.actor, Action.READ, event, detail="edit form")
    return render(
        request,
        "care/form.html",
        {
            "client": event.visit.client,
            "form": form,
            "title": "Follow up an adverse event",
            "cancel": ("care:visit", event.visit_id),
        },
    )
