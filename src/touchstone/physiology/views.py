"""Physiology pages: log a sample, upload an HRV recording, keep a sleep diary (staff or the
client's private link), import a wearable export, see it all on one time axis with the
questionnaires, and test body-and-mind associations honestly. Thin: fetch through
``get_for``, validate with a form, write via actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from touchstone.accounts.access import MemberRequest, public, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.access import get_client_for
from touchstone.lib.language import activate_for_client
from touchstone.logs import upload_refused
from touchstone.physiology import actions, selectors, wearables
from touchstone.physiology.access import get_recording_for
from touchstone.physiology.forms import (
    DiaryLinkForm,
    ImportUploadForm,
    MappingForm,
    RecordingForm,
    SampleForm,
    SleepNightForm,
)
from touchstone.physiology.models import SLEEP_FIELDS, Recording, SleepNight, WearableDay
from touchstone.portal.access import gone, portal_actor
from touchstone.portal.models import Purpose, find_link
from touchstone.science.physiology.association import CAUSATION_NOTE
from touchstone.science.physiology.sleep import weekly_summary

#: Session key holding a wearable export between upload and mapping (server-side session
#: store; the text is capped at ``wearables.MAX_IMPORT_BYTES`` and never logged).
IMPORT_SESSION_KEY = "touchstone_physiology_import"


def _model_errors(form: BaseForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


@requires("physiology.view")
def overview(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    data = selectors.client_overview(request.member, client)
    record(request.actor, Action.READ, client, detail="physiology")
    return render(
        request,
        "physiology/overview.html",
        {"client": client, "physiology": data, "can_edit": request.member.can("physiology.edit")},
    )


@requires("physiology.edit")
def sample_create(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    form = SampleForm(request.POST or None, member=request.member, client=client)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in actions.SAMPLE_FIELDS}
        try:
            sample = actions.do_create_sample(request.actor, client, data)
        except ValidationError as error:
            _model_errors(form, error)
        else:
            messages.success(
                request,
                f"Sample saved: {sample.canonical_value:.4g} {sample.canonical_unit}.",
            )
            return redirect("physiology:overview", client_id=client.pk)
    if request.method != "POST":
        record(request.actor, Action.READ, client, detail="new sample form")
    return render(
        request,
        "physiology/form.html",
        {"client": client, "form": form, "title": "Log a biomarker sample", "multipart": False},
    )


@requires("physiology.edit")
def recording_create(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    form = RecordingForm(
        request.POST or None, request.FILES or None, member=request.member, client=client
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = {name: form.cleaned_data[name] for name in actions.RECORDING_FIELDS}
        try:
            if upload.size > actions.MAX_RR_BYTES:
                upload_refused("hrv_recording", "too_large", size_bytes=upload.size)
                raise ValidationError({"file": "The file is larger than 4 MB."})
            recording = actions.do_create_recording(request.actor, client, upload.read(), data)
        except ValidationError as error:
            _model_errors(form, error)
        else:
            messages.success(request, f"Recording analysed: {recording.n_beats} beats.")
            return redirect("physiology:recording", recording_id=recording.pk)
    if request.method != "POST":
        record(request.actor, Action.READ, client, detail="new recording form")
    return render(
        request,
        "physiology/form.html",
        {"client": client, "form": form, "title": "Upload an HRV recording", "multipart": True},
    )


@requires("physiology.view")
def recording_detail(request: MemberRequest, recording_id: int) -> HttpResponse:
    recording = get_recording_for(request.member, recording_id)
    record(request.actor, Action.READ, recording)
    comparison = None
    if recording.visit_id:
        siblings = list(
            Recording.objects.for_member(request.member)
            .filter(visit_id=recording.visit_id, client_id=recording.client_id)
            .select_related("visit")
            .defer("rr_ms")
        )
        found = selectors.visit_comparisons(siblings)
        comparison = found[0] if found else None
    return render(
        request,
        "physiology/recording.html",
        {"recording": recording, "client": recording.client, "comparison": comparison},
    )


@requires("physiology.view")
def sleep(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    nights = list(SleepNight.objects.for_member(request.member).filter(client_id=client.pk))
    weeks = weekly_summary((n.night_of, n.core()) for n in nights)
    record(request.actor, Action.READ, client, detail="sleep diary")
    return render(
        request,
        "physiology/sleep.html",
        {
            "client": client,
            "nights": nights,
            "weeks": list(reversed(weeks)),
            "can_edit": request.member.can("physiology.edit"),
            "link_form": DiaryLinkForm(),
        },
    )


@requires("physiology.edit")
def sleep_create(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    initial = {"night_of": timezone.localdate() - dt.timedelta(days=1)}
    form = SleepNightForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in SLEEP_FIELDS}
        try:
            night = actions.do_save_sleep_night(request.actor, client, data)
        except ValidationError as error:
            _model_errors(form, error)
        else:
            messages.success(request, f"Night saved: sleep efficiency {night.se_pct:.0f} %.")
            return redirect("physiology:sleep", client_id=client.pk)
    if request.method != "POST":
        record(request.actor, Action.READ, client, detail="new sleep night form")
    return render(
        request,
        "physiology/form.html",
        {"client": client, "form": form, "title": "Sleep diary: one night", "multipart": False},
    )


@requires("physiology.edit")
def diary_link(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    form = DiaryLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = actions.do_create_diary_link(
                request.actor, client, form.cleaned_data["valid_days"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            url = request.build_absolute_uri(reverse("portal:open", args=[link.token]))
            return render(
                request,
                "physiology/link_created.html",
                {"client": client, "link": link, "url": url},
            )
    if request.method != "POST":
        record(request.actor, Action.READ, client, detail="diary link form")
    return render(
        request,
        "physiology/form.html",
        {"client": client, "form": form, "title": "Sleep diary link", "multipart": False},
    )


@public
@never_cache
def diary(request: HttpRequest, token: str) -> HttpResponse:
    """The client's own diary page, reached through a private link (no account)."""
    link = find_link(token)
    if link is None or link.purpose != Purpose.SLEEP_DIARY:
        return gone(request, token)
    actor = portal_actor(request, link)
    timezone.activate(link.clinic.zone)  # "last night" is the clinic's
    activate_for_client(request, link.client)  # the diary in the client's language
    initial = {"night_of": timezone.localdate() - dt.timedelta(days=1)}
    form = SleepNightForm(request.POST or None, initial=initial)
    saved = None
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in SLEEP_FIELDS}
        try:
            saved = actions.do_save_diary_night(actor, link, data)
        except ValidationError as error:
            _model_errors(form, error)
        else:
            form = SleepNightForm(initial=initial)
    else:
        record(actor, Action.READ, link, detail="portal sleep diary")
    entered = list(
        SleepNight.objects.filter(clinic=link.clinic, client=link.client)
        .order_by("-night_of")
        .values_list("night_of", flat=True)[:14]
    )
    return render(
        request,
        "physiology/diary.html",
        {"form": form, "clinic": link.clinic, "link": link, "saved": saved, "entered": entered},
    )


# Wearable import ----------------------------------------------------------------------------


@requires("physiology.edit")
@transaction.non_atomic_requests  # parses the file outside any transaction; writes nothing
def import_upload(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > wearables.MAX_IMPORT_BYTES:
                raise wearables.UnreadableFile(
                    f"The file is larger than {wearables.MAX_IMPORT_BYTES // 1024} KB.",
                    reason="too_large",
                )
            text = wearables.decode(upload.read())
            wearables.read_table(text)
        except wearables.UnreadableFile as error:
            upload_refused("wearable_csv", error.reason, size_bytes=upload.size)
            form.add_error("file", str(error))
        else:
            pending = actions.do_store_wearable_upload(
                request.actor,
                client,
                form.cleaned_data["kind"],
                form.cleaned_data["source"],
                text,
            )
            # The session names the upload; the file itself stays out of the session table.
            request.session[IMPORT_SESSION_KEY] = {"client_id": client.pk, "upload": pending.pk}
            return redirect("physiology:import_map", client_id=client.pk)
    if request.method != "POST":
        record(request.actor, Action.READ, client, detail="wearable upload form")
    return render(
        request,
        "physiology/form.html",
        {"client": client, "form": form, "title": "Import a wearable export", "multipart": True},
    )


@requires("physiology.edit")
@transaction.non_atomic_requests  # validates every row first; the import is one short transaction
def import_map(request: MemberRequest, client_id: int) -> HttpResponseBase:
    client = get_client_for(request.member, client_id)
    held = request.session.get(IMPORT_SESSION_KEY) or {}
    pending = None
    if held.get("client_id") == client.pk:
        pending = selectors.pending_wearable_upload(request.actor, client, held.get("upload"))
    if pending is None:
        messages.info(request, "Upload the export first (an upload waits two hours).")
        return redirect("physiology:import", client_id=client.pk)
    table = wearables.read_table(pending.text)
    form = MappingForm(request.POST or None, kind=pending.kind, header=table.header)
    report: wearables.Validation | None = None
    if request.method == "POST" and form.is_valid():
        mapping = wearables.Mapping(
            kind=pending.kind,
            columns=form.columns(),
            date_format=form.cleaned_data["date_format"],
            time_format=form.cleaned_data.get("time_format", "%H:%M"),
            duration_unit=form.cleaned_data.get("duration_unit", "min"),
            source=pending.source,
        )
        existing = WearableDay.objects.for_member(request.member).filter(
            client_id=client.pk, kind=mapping.kind
        )
        report = wearables.validate(table, mapping, client, existing.values_list("day", flat=True))
        if not report.ok:
            upload_refused(
                "wearable_csv", "invalid_rows", rows=len(table.rows), errors=len(report.errors)
            )
        if report.ok:
            count = actions.do_import_wearable(request.actor, client, report.rows, pending)
            del request.session[IMPORT_SESSION_KEY]
            messages.success(request, f"Imported {count} rows.")
            return redirect("physiology:overview", client_id=client.pk)
    return render(
        request,
        "physiology/import_map.html",
        {
            "client": client,
            "form": form,
            "header": table.header,
            "preview": table.preview(),
            "n_rows": len(table.rows),
            "report": report,
        },
    )


# Body and mind ------------------------------------------------------------------------------


@requires("physiology.view")
def client_association(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    rows = selectors.client_association(request.member, client)
    record(request.actor, Action.READ, client, detail="body and mind")
    return render(
        request,
        "physiology/association.html",
        {"client": client, "rows": rows, "note": CAUSATION_NOTE, "scope": "client"},
    )


@requires("physiology.aggregates")
def clinic_association(request: MemberRequest) -> HttpResponse:
    rows = selectors.clinic_association(request.member)
    record(request.actor, Action.READ, object_type="physiology.association", detail="clinic")
    context: dict[str, Any] = {
        "rows": rows,
        "note": CAUSATION_NOTE,
        "scope": "clinic",
        "researcher": not request.member.can("clients.view"),
    }
    return render(request, "physiology/association.html", context)
