"""FHIR export and import for one client, and the de-identified research export.

All synchronous: a demo client's Bundle takes well under a second and the demo clinic's
research export about a second (docs/benchmarks.md); links show "Preparing…" meanwhile.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.core import signing
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from touchstone.accounts.access import MemberRequest, requires
from touchstone.accounts.models import StaffMember
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.access import get_client_for
from touchstone.clients.models import Client
from touchstone.interop.fhir_export import client_bundle
from touchstone.interop.fhir_import import (
    FhirImportError,
    Imported,
    PatientMismatchError,
    do_import_fhir,
)
from touchstone.interop.research import MODES, SAFE_HARBOR, export_research
from touchstone.lib import json_limits
from touchstone.lib.http import download
from touchstone.logs import upload_refused

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: The second step of an import whose patient does not match carries the file it confirms,
#: signed (it cannot be swapped or replayed for another client or user) and compressed.
CONFIRM_SALT = "touchstone.interop.fhir-import-confirmation"
CONFIRM_MAX_AGE_S = 30 * 60


class FhirUploadForm(forms.Form):
    file = forms.FileField(help_text="A FHIR R4 QuestionnaireResponse or Bundle (JSON).")

    def clean_file(self) -> dict:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            upload_refused("fhir", "too_large", size_bytes=upload.size)
            raise forms.ValidationError("The file is larger than 5 MB.")
        try:
            data = json_limits.loads(upload.read().decode("utf-8"))
        except json_limits.TooDeep as error:
            upload_refused("fhir", "too_deep", size_bytes=upload.size)
            raise forms.ValidationError(str(error)) from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            upload_refused("fhir", "not_json", size_bytes=upload.size)
            raise forms.ValidationError("The file is not JSON.") from None
        if not isinstance(data, dict):
            upload_refused("fhir", "not_a_resource", size_bytes=upload.size)
            raise forms.ValidationError("The file does not hold a FHIR resource.")
        return data


class FhirConfirmForm(forms.Form):
    """The explicit confirmation that a file whose patient does not match is the client's."""

    pending = forms.CharField(widget=forms.HiddenInput)
    confirmed = forms.BooleanField(required=True)

    def __init__(self, *args: Any, client: Client, member: StaffMember, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client, self.member = client, member
        self.fields["confirmed"].label = (
            f"I have checked that these answers are {client.full_name}'s and want them in "
            "this record."
        )
        self.fields["confirmed"].error_messages["required"] = (
            "Tick the box to confirm, or cancel the import."
        )

    @staticmethod
    def token(client: Client, member: StaffMember, data: dict, message: str) -> str:
        return signing.dumps(
            {"client": client.pk, "member": member.pk, "data": data, "message": message},
            salt=CONFIRM_SALT,
            compress=True,
        )

    def clean_pending(self) -> dict[str, Any]:
        try:
            payload = signing.loads(
                self.cleaned_data["pending"], salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE_S
            )
        except signing.SignatureExpired:
            raise forms.ValidationError(
                "The confirmation expired after 30 minutes: upload the file again."
            ) from None
        except signing.BadSignature:
            raise forms.ValidationError(
                "The confirmation is not valid: upload the file again."
            ) from None
        if payload.get("client") != self.client.pk or payload.get("member") != self.member.pk:
            raise forms.ValidationError("The confirmation is not valid: upload the file again.")
        return dict(payload)


@requires("interop.fhir")
def fhir_export(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    bundle = client_bundle(
        request.member.clinic, client, with_diagnoses=request.member.can("diagnoses.view")
    )
    record(
        request.actor, Action.EXPORT, client, detail=f"fhir bundle, {len(bundle['entry'])} entries"
    )
    return download(
        json.dumps(bundle, indent=1), "application/fhir+json", f"client-{client.pk}-fhir.json"
    )


@requires("interop.fhir")
@transaction.non_atomic_requests  # the import opens its own short transaction, after parsing
def fhir_import(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    if request.method == "POST" and "pending" in request.POST:
        return _confirm_import(request, client)
    form = FhirUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"]
        try:
            imported = do_import_fhir(request.actor, client, data)
        except PatientMismatchError as error:
            # Second step: the same file, imported only if the user explicitly confirms.
            token = FhirConfirmForm.token(client, request.member, data, str(error))
            confirm = FhirConfirmForm(
                initial={"pending": token}, client=client, member=request.member
            )
            return _confirmation_page(request, client, str(error), confirm)
        except FhirImportError as error:
            form.add_error("file", f"Nothing was imported: {error}")
        else:
            return _imported(request, client, imported)
    if request.method != "POST":
        record(request.actor, Action.READ, client, detail="fhir import form")
    return render(request, "interop/fhir_import.html", {"client": client, "form": form})


def _confirm_import(request: MemberRequest, client: Client) -> HttpResponse:
    confirm = FhirConfirmForm(request.POST, client=client, member=request.member)
    if confirm.is_valid():
        pending = confirm.cleaned_data["pending"]
        try:
            imported = do_import_fhir(
                request.actor, client, pending["data"], accept_patient_mismatch=True
            )
        except FhirImportError as error:
            confirm.add_error(None, f"Nothing was imported: {error}")
            return _confirmation_page(request, client, pending["message"], confirm)
        return _imported(request, client, imported)
    if "pending" in confirm.errors:  # expired or tampered with: start again
        return render(
            request,
            "interop/fhir_import.html",
            {"client": client, "form": FhirUploadForm(), "restart": confirm.errors["pending"][0]},
        )
    pending = confirm.cleaned_data["pending"]
    return _confirmation_page(request, client, pending["message"], confirm)


def _confirmation_page(
    request: MemberRequest, client: Client, mismatch: str, confirm: FhirConfirmForm
) -> HttpResponse:
    return render(
        request,
        "interop/fhir_import.html",
        {"client": client, "mismatch": mismatch, "confirm": confirm},
    )


def _imported(request: MemberRequest, client: Client, imported: list[Imported]) -> HttpResponse:
    alerts = sum(i.alerts for i in imported)
    messages.success(
        request,
        f"Imported {len(imported)} questionnaire(s)"
        + (f"; {alerts} risk alert(s) raised." if alerts else "."),
    )
    return redirect("record:progress", client_id=client.pk)


@requires("interop.research_export")
def research(request: MemberRequest) -> HttpResponse:
    return render(request, "interop/research.html", {})


@requires("interop.research_export")
@require_POST
def research_download(request: MemberRequest) -> HttpResponse:
    clinic = request.member.clinic
    mode = request.POST.get("mode", SAFE_HARBOR)
    if mode not in MODES:
        return HttpResponseBadRequest("Unknown export mode.")
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        # Diagnosis codes only for a role that may read them (never the owner).
        result = export_research(
            clinic,
            Path(tmp) / "export",
            mode=mode,
            diagnoses=request.member.can("diagnoses.view"),
        )
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in result.files:
                archive.write(path, path.name)
    record(
        request.actor,
        Action.EXPORT,
        object_type="interop.research_export",
        detail=f"research export ({mode}), {result.counts['clients']} clients",
    )
    return download(buffer.getvalue(), "application/zip", "research-export.zip")
