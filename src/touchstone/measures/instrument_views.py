"""The owner's questionnaire library: licences, the clinic's licensed texts, and the clinic's
own questionnaires (preview and test-scoring before they go live)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render

from touchstone.accounts.access import MemberRequest, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.care.models import SESSION_RATING_INSTRUMENTS
from touchstone.instruments.models import CustomInstrument, InstrumentText
from touchstone.measures import actions
from touchstone.measures.access import get_custom_for
from touchstone.measures.forms import (
    AnswersForm,
    DefinitionForm,
    InstrumentTextForm,
    texts_template,
)
from touchstone.measures.instruments import (
    current_text,
    enterable_languages,
    instrument,
    ships_text,
)
from touchstone.science.instruments import (
    AnswerError,
    DefinitionError,
    UnknownInstrumentError,
    all_instruments,
    parse_definition,
    score,
)


@requires("instruments.manage")
def library(request: MemberRequest) -> HttpResponse:
    """Every shipped instrument with its licence, and whether the clinic can give it."""
    clinic = request.member.clinic
    newest = {
        (t.instrument_id, t.language): t
        for t in InstrumentText.objects.for_member(request.member)
        .select_related("attested_by__user")
        .order_by("instrument_id", "language", "version")
    }  # the newest version in each language wins (ordered by version)
    texts: dict[str, list[InstrumentText]] = {}
    for (instrument_id, _), text in newest.items():
        texts.setdefault(instrument_id, []).append(text)
    rows = [
        (
            definition,
            texts.get(definition.id, []),
            ships_text(definition) or definition.id in texts,
            bool(enterable_languages(definition)),
        )
        for definition in all_instruments().values()
        if definition.id not in SESSION_RATING_INSTRUMENTS
    ]
    record(request.actor, Action.LIST, object_type="instruments.instrumenttext", detail="library")
    return render(
        request,
        "measures/library.html",
        {
            "rows": rows,
            "clinic": clinic,
            "custom": CustomInstrument.objects.for_member(request.member).order_by("instrument_id"),
        },
    )


@requires("instruments.manage")
def enter_text(request: MemberRequest, instrument_id: str) -> HttpResponseBase:
    """Enter (or renew: a new version) the clinic's licensed text of one instrument, or the
    publisher's official translation of one shipped with its text (docs/instruments.md)."""
    try:
        definition = instrument(instrument_id)
    except UnknownInstrumentError:
        raise Http404("No such instrument.") from None
    offered = enterable_languages(definition)
    if not offered:
        raise Http404("This instrument ships with its text in every offered language.")
    translation = ships_text(definition)
    language = offered[0][0] if translation else definition.language
    current = current_text(request.member.clinic_id, instrument_id, language)
    form = InstrumentTextForm(
        request.POST or None,
        request.FILES or None,
        definition=definition,
        initial={"texts": texts_template(definition, current)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            text = actions.do_enter_instrument_text(
                request.actor,
                instrument_id,
                form.cleaned_data["parsed"],
                form.cleaned_data["licence_reference"],
                language=form.cleaned_data["language"] or definition.language,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            kind = f"official translation ({text.language})" if translation else "licensed text"
            messages.success(
                request,
                f"{definition.title}: {kind} version {text.version} saved; it can now be "
                "given in the clinic, on the tablet and by private link.",
            )
            return redirect("measures:library")
    record(
        request.actor,
        Action.READ,
        object_type="instruments.instrumenttext",
        detail=f"{instrument_id} text form",
    )
    return render(
        request,
        "measures/enter_text.html",
        {"definition": definition, "form": form, "current": current, "translation": translation},
    )


@requires("instruments.manage")
def custom_new(request: MemberRequest) -> HttpResponseBase:
    """Add the clinic's own questionnaire as a draft."""
    form = DefinitionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            custom = actions.do_create_custom_instrument(request.actor, form.cleaned_data["parsed"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Draft saved: preview it and test the scoring.")
            return redirect("measures:custom", custom_id=custom.pk)
    record(
        request.actor, Action.READ, object_type="instruments.custominstrument", detail="new form"
    )
    return render(request, "measures/custom_new.html", {"form": form})


@requires("instruments.manage")
def custom_detail(request: MemberRequest, custom_id: int) -> HttpResponseBase:
    """Preview a clinic's own questionnaire, test its scoring (nothing is stored), replace
    the draft's definition, or make it live."""
    custom = get_custom_for(request.member, custom_id)
    try:
        definition = parse_definition(custom.definition, f"{custom.instrument_id}.json")
    except DefinitionError as error:  # stored under older rules: say why, never a 500
        messages.error(request, f"{custom.instrument_id} no longer loads: {error}")
        return redirect("measures:library")
    replace = DefinitionForm(
        request.POST if "replace" in request.POST else None, request.FILES or None
    )
    trial = AnswersForm(definition, request.POST if "test" in request.POST else None)
    test_result, test_error = None, ""
    if request.method == "POST":
        try:
            if "publish" in request.POST:
                actions.do_publish_custom_instrument(request.actor, custom)
                messages.success(request, f"{definition.title} is live: it can be given now.")
                return redirect("measures:custom", custom_id=custom.pk)
            if "replace" in request.POST and replace.is_valid():
                actions.do_replace_custom_draft(
                    request.actor, custom, replace.cleaned_data["parsed"]
                )
                messages.success(request, "Draft replaced.")
                return redirect("measures:custom", custom_id=custom.pk)
            if "test" in request.POST and trial.is_valid():
                given: dict[str | int, Any] = {
                    k: v for k, v in trial.answers().items() if v is not None
                }
                test_result = score(definition, given)
        except ValidationError as error:
            replace.add_error(None, error)
        except (AnswerError, DefinitionError) as error:
            test_error = str(error)
    record(request.actor, Action.READ, custom, detail="preview")
    return render(
        request,
        "measures/custom_detail.html",
        {
            "custom": custom,
            "definition": definition,
            "form": trial,
            "replace": replace,
            "test_result": test_result,
            "test_error": test_error,
        },
    )
