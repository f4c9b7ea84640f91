"""Giving questionnaires, scoring them on save, and handling risk alerts.

Every path that stores answers — clinic, tablet, portal, API, import — goes through
``do_save_answers``, so scoring and risk alerts cannot be skipped by any of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from touchstone.audit import writes
from touchstone.audit.actor import Actor
from touchstone.audit.models import Action
from touchstone.care.models import SESSION_RATING_INSTRUMENTS
from touchstone.clients.models import Client
from touchstone.instruments.models import CustomInstrument, CustomStatus, InstrumentText
from touchstone.measures.escalation import do_notify_alert
from touchstone.measures.instruments import (
    READ_MODES,
    clinic_text,
    enterable_languages,
    instrument,
    is_custom,
    ships_text,
)
from touchstone.measures.models import (
    Administration,
    AlertReason,
    Mode,
    RiskAlert,
    Status,
)
from touchstone.science.instruments import (
    AnswerError,
    DefinitionError,
    Instrument,
    QuestionnaireImportError,
    UnknownInstrumentError,
    merge_texts,
    parse_definition,
    score,
    texts_from_questionnaire,
    translation_problem,
)


def do_start_administration(
    actor: Actor, client: Client, instrument_id: str, mode: str, language: str | None = None
) -> Administration:
    """Start giving ``instrument_id`` to ``client`` in ``mode``.

    Where a person reads the questions (clinic, tablet, private link), an instrument that ships
    no text needs the clinic's licensed text; the administration keeps the text version shown.
    The API and imports carry answer values only and need no text. A clinic's own instrument
    is given only by that clinic.

    ``language`` is the one asked for (default: the client's preferred language where a
    person reads the questions; the definition's own for answers sent through the API or
    imported); the administration records the language it is given in: that one when the
    definition (or the clinic's licensed text, or the official translation the clinic entered)
    has it, else the definition's own ("available in English only").
    """
    try:
        definition = instrument(instrument_id)
    except UnknownInstrumentError:
        raise ValidationError({"instrument_id": f"Unknown instrument {instrument_id!r}."}) from None
    if is_custom(instrument_id) and not instrument_id.startswith(f"c{client.clinic_id}-"):
        raise ValidationError({"instrument_id": f"Unknown instrument {instrument_id!r}."})
    if instrument_id in SESSION_RATING_INSTRUMENTS:
        raise ValidationError(
            {"instrument_id": "Session ratings are recorded on the visit, before and after."}
        )
    if mode not in Mode.values:
        raise ValidationError({"mode": f"Unknown mode {mode!r}."})
    if client.is_archived:
        raise ValidationError("This client is archived; restore them before giving questionnaires.")
    wanted = language or (client.preferred_language if mode in READ_MODES else definition.language)
    text = clinic_text(client.clinic_id, definition, wanted) if mode in READ_MODES else None
    if mode in READ_MODES and not ships_text(definition) and text is None:
        raise ValidationError(
            {
                "instrument_id": f"{definition.title} is licensed: Touchstone may not ship "
                "its text. The clinic's owner enters the licensed text once "
                "(Questionnaires and licences); then it can be given here."
            }
        )
    administration = Administration(
        clinic=client.clinic,
        client=client,
        instrument_id=instrument_id,
        instrument_version=definition.version,
        language=given_language(definition, wanted) if text is None else text.language,
        text=text,
        mode=mode,
        created_by=actor.member,
    )
    return writes.save(actor, administration, Action.CREATE, detail=f"{instrument_id}, {mode}")


def given_language(definition: Instrument, wanted: str) -> str:
    """The language ``definition`` is given in when ``wanted`` (BCP 47) is asked for:
    ``wanted`` (or its primary language: "es-US" is "es") when the definition has an official
    translation in it, else its own."""
    for candidate in (wanted, wanted.split("-")[0].lower()):
        if candidate in definition.languages:
            return candidate
    return definition.language


def do_save_answers(
    actor: Actor,
    administration: Administration,
    answers: Mapping[str, Any],
    *,
    complete: bool,
) -> list[RiskAlert]:
    """Validate and score ``answers`` (linkId → value), store them, and raise alerts.

    Scoring takes the client's sex assigned at birth (PHQ-15 item 4 applies to women only).
    A partial save keeps the administration in progress. A positive risk item raises its
    alert at this moment, complete or not. Raises ``ValidationError`` for an invalid
    answer (never scored as 0) or a save to a finished administration.
    """
    if administration.status != Status.IN_PROGRESS:
        raise ValidationError(_("This questionnaire is already finished; start a new one."))
    definition = instrument(administration.instrument_id)
    given: dict[str | int, Any] = {
        link_id: value for link_id, value in answers.items() if value not in (None, "")
    }
    try:
        result = score(definition, given, sex=administration.client.scoring_sex)
    except AnswerError as error:
        raise ValidationError(str(error)) from None
    administration.answers = {k: v for k, v in result.answers.items() if v is not None}
    administration.total = result.total
    administration.severity = result.severity or ""
    administration.severity_index = result.severity_index
    administration.computable = result.computable
    administration.reason = result.reason or ""
    administration.risk_flags = list(result.risk_flags)
    administration.result = result.to_dict()
    if complete:
        administration.status = Status.COMPLETED
        administration.completed_at = timezone.now()
    with transaction.atomic():
        writes.save(
            actor,
            administration,
            Action.UPDATE,
            detail="completed" if complete else "answers saved",
        )
        alerts = _raise_alerts(actor, administration, alert_band=result.alert and complete)
    return alerts


def _raise_alerts(
    actor: Actor, administration: Administration, *, alert_band: bool
) -> list[RiskAlert]:
    triggers = [(AlertReason.RISK_ITEM, item) for item in administration.risk_flags]
    if alert_band:
        triggers.append((AlertReason.SEVERE_BAND, ""))
    raised = []
    for reason, item in triggers:
        if RiskAlert.objects.filter(
            administration=administration, reason=reason, item=item
        ).exists():
            continue
        alert = RiskAlert(
            clinic=administration.clinic,
            client=administration.client,
            administration=administration,
            reason=reason,
            item=item,
        )
        try:
            writes.save(actor, alert, Action.CREATE, detail=str(reason))
        except IntegrityError:  # raised concurrently by another save of the same answers
            continue
        # The on-call clinician is told now, in this transaction (the send job commits with
        # the alert); the worker escalates if nobody acknowledges.
        do_notify_alert(actor, alert, 0)
        raised.append(alert)
    return raised


def do_acknowledge_alert(actor: Actor, alert: RiskAlert) -> None:
    """A clinician has seen the alert: escalation stops. Handling it (the action taken) is
    the separate, later step of ``do_close_alert``."""
    if alert.acknowledged_at is not None:
        return
    alert.acknowledged_by, alert.acknowledged_at = actor.staff, timezone.now()
    writes.save(
        actor, alert, Action.UPDATE,
        update_fields=["acknowledged_by", "acknowledged_at"], detail="acknowledged",
    )  # fmt: skip


def do_take_alert(actor: Actor, alert: RiskAlert) -> None:
    """A clinician takes responsibility for an open alert (which acknowledges it)."""
    if not alert.is_open:
        raise ValidationError("This alert is already closed.")
    alert.assigned_to = actor.staff
    with transaction.atomic():
        writes.save(actor, alert, Action.UPDATE, update_fields=["assigned_to"], detail="taken")
        do_acknowledge_alert(actor, alert)


def do_close_alert(actor: Actor, alert: RiskAlert, action_taken: str) -> None:
    """Record the action taken; the alert leaves every home page."""
    action_taken = action_taken.strip()
    if not action_taken:
        raise ValidationError(
            {"action_taken": "Describe the action taken (e.g. safety plan, referral)."}
        )
    if not alert.is_open:
        raise ValidationError("This alert is already closed.")
    member = actor.staff
    alert.action_taken = action_taken
    alert.closed_by = member
    alert.assigned_to = alert.assigned_to or member
    alert.closed_at = timezone.now()
    writes.save(
        actor,
        alert,
        Action.UPDATE,
        update_fields=["action_taken", "closed_by", "assigned_to", "closed_at"],
        detail="closed",
    )


def do_enter_instrument_text(
    actor: Actor,
    instrument_id: str,
    texts: Mapping[str, Any],
    licence_reference: str,
    *,
    language: str = "en",
) -> InstrumentText:
    """An owner enters the clinic's licensed text of a shipped instrument, attesting the licence,
    or the publisher's official translation of one shipped with its text into a language it
    ships none in (PHQ-15 in Spanish), attesting the source.

    ``texts`` is the texts object (``{"instructions": [...], "items": {...}}``) or a FHIR
    Questionnaire holding the licensed text (the publisher's or a vendor's file), read by
    :func:`~touchstone.science.instruments.texts_from_questionnaire`. The text is the next
    version in ``language`` (earlier versions stay, as the administrations that showed them
    do). Every answerable item needs its text and every option its label (a translation also
    every instruction: the loader's check of a shipped translation); the texts can name only
    the definition's items and options, so scoring cannot change.

    Raises ``ValidationError`` with a message a person can act on.
    """
    try:
        definition = instrument(instrument_id)
    except UnknownInstrumentError:
        raise ValidationError(f"Unknown instrument {instrument_id!r}.") from None
    languages = dict(enterable_languages(definition))
    if not languages:
        raise ValidationError(f"{definition.title} ships with its text; nothing to enter.")
    translation = ships_text(definition)
    if translation and language not in languages:
        raise ValidationError(
            {
                "language": f"{definition.title} ships its text in this language; a clinic "
                "enters only an official translation into a language it is not shipped in."
            }
        )
    licence_reference = licence_reference.strip()
    if not licence_reference:
        raise ValidationError(
            {
                "licence_reference": "Name the source of the official translation."
                if translation
                else "Name the licence or permission you hold."
            }
        )
    if isinstance(texts, Mapping) and "resourceType" in texts:
        try:
            texts = texts_from_questionnaire(definition, texts)
        except QuestionnaireImportError as error:
            raise ValidationError(f"Questionnaire: {error}.") from None
    try:
        merged = merge_texts(definition, texts)
        problem = translation_problem(definition, texts) if translation else None
    except DefinitionError as error:
        raise ValidationError(str(error)) from None
    except (AttributeError, TypeError):
        raise ValidationError(
            'Texts must be an object: {"instructions": [...], "items": {linkId: '
            '{"text": ..., "options": {code: label}}}}.'
        ) from None
    if problem is not None:
        path, reason = problem
        where = ".".join(str(part) for part in path)
        raise ValidationError(
            f"The translation is incomplete: {where + ': ' if where else ''}{reason}. Enter "
            "every instruction, item and answer label exactly as the publisher prints them."
        )
    missing = [it.link_id for it in merged.items if not (it.text or "").strip()]
    missing += [
        f"{it.link_id} option {o.code}"
        for it in merged.items
        for o in it.options
        if not (o.display or "").strip()
    ]
    if missing:
        raise ValidationError(f"These have no text yet: {', '.join(missing)}.")
    clinic = actor.staff.clinic
    with transaction.atomic():
        last = (
            InstrumentText.objects.select_for_update()
            .filter(clinic=clinic, instrument_id=instrument_id, language=language)
            .order_by("-version")
            .first()
        )
        text = InstrumentText(
            clinic=clinic,
            instrument_id=instrument_id,
            language=language,
            version=1 if last is None else last.version + 1,
            texts=dict(texts),
            licence_reference=licence_reference,
            attested_by=actor.staff,
            attested_at=timezone.now(),
        )
        kind = f"official translation ({language})" if translation else "licensed text"
        return writes.save(
            actor, text, Action.CREATE, detail=f"{instrument_id} {kind} v{text.version}"
        )


# --- a clinic's own questionnaires -----------------------------------------------------------


def _custom_definition(clinic_id: int, raw: Any) -> dict[str, Any]:
    """``raw`` (a parsed JSON object) as a clinic's own definition: its id prefixed with the
    clinic, validated against the JSON Schema and the loader's checks, never validated.

    Raises ``ValidationError`` with the loader's message (it names the JSON path).
    """
    if not isinstance(raw, dict):
        raise ValidationError("A definition is one JSON object (a FHIR Questionnaire).")
    data = dict(raw)
    given = str(data.get("id", ""))
    if is_custom(given) and given.startswith(f"c{clinic_id}-"):
        given = given.split("-", 1)[1]  # the stored id, uploaded again
    data["id"] = f"c{clinic_id}-{given}"
    if len(data["id"]) > 40:
        raise ValidationError("id: at most 30 characters (the clinic prefix takes the rest).")
    if data.get("validated") is not False:
        raise ValidationError(
            'validated: a clinic\'s own questionnaire is not validated; set "validated": false.'
        )
    licence = data.get("licence")
    if not isinstance(licence, dict) or licence.get("status") != "own":
        raise ValidationError('licence.status: a clinic\'s own questionnaire has status "own".')
    try:
        definition = parse_definition(data, f"{data['id']}.json")
    except DefinitionError as error:
        raise ValidationError(str(error)) from None
    untexted = [it.link_id for it in definition.items if not (it.text or "").strip()]
    if untexted:
        raise ValidationError(f"item: every item needs its text ({', '.join(untexted)}).")
    return data


def do_create_custom_instrument(actor: Actor, raw: Any) -> CustomInstrument:
    """An owner adds the clinic's own questionnaire as a draft (preview and test-scoring
    before it goes live)."""
    clinic = actor.staff.clinic
    data = _custom_definition(clinic.pk, raw)
    if CustomInstrument.objects.filter(instrument_id=data["id"]).exists():
        raise ValidationError(
            f"id: the clinic already has a questionnaire {data['id'].split('-', 1)[1]!r}; "
            "give this one another id (a live definition never changes)."
        )
    custom = CustomInstrument(
        clinic=clinic,
        instrument_id=data["id"],
        definition=data,
        created_by=actor.staff,
        created_at=timezone.now(),
    )
    return writes.save(actor, custom, Action.CREATE, detail=f"{custom.instrument_id} draft")


def do_replace_custom_draft(actor: Actor, custom: CustomInstrument, raw: Any) -> None:
    """Replace a draft's definition (same id); a live one never changes."""
    if custom.is_live:
        raise ValidationError("This questionnaire is live: its definition never changes.")
    data = _custom_definition(custom.clinic_id, raw)
    if data["id"] != custom.instrument_id:
        raise ValidationError(f"id: keep the id {custom.instrument_id.split('-', 1)[1]!r}.")
    custom.definition = data
    writes.save(actor, custom, Action.UPDATE, update_fields=["definition"], detail="draft")


def do_publish_custom_instrument(actor: Actor, custom: CustomInstrument) -> None:
    """The draft goes live: it can be given in every channel and planned; it never changes."""
    if custom.is_live:
        return
    _custom_definition(custom.clinic_id, custom.definition)  # still valid under today's rules
    custom.status = CustomStatus.LIVE
    custom.published_by, custom.published_at = actor.staff, timezone.now()
    writes.save(
        actor,
        custom,
        Action.UPDATE,
        update_fields=["status", "published_by", "published_at"],
        detail="live",
    )
