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

from touchstone.audit import writes
from touchstone.audit.actor import Actor
from touchstone.audit.models import Action
from touchstone.care.models import SESSION_RATING_INSTRUMENTS
from touchstone.clients.models import Client
from touchstone.measures.escalation import do_notify_alert
from touchstone.measures.instruments import instrument
from touchstone.measures.models import (
    Administration,
    AlertReason,
    Mode,
    RiskAlert,
    Status,
)
from touchstone.science.instruments import AnswerError, UnknownInstrumentError, score


def do_start_administration(
    actor: Actor, client: Client, instrument_id: str, mode: str
) -> Administration:
    try:
        definition = instrument(instrument_id)
    except UnknownInstrumentError:
        raise ValidationError({"instrument_id": f"Unknown instrument {instrument_id!r}."}) from None
    if instrument_id in SESSION_RATING_INSTRUMENTS:
        raise ValidationError(
            {"instrument_id": "Session ratings are recorded on the visit, before and after."}
        )
    if mode not in Mode.values:
        raise ValidationError({"mode": f"Unknown mode {mode!r}."})
    if client.is_archived:
        raise ValidationError("This client is archived; restore them before giving questionnaires.")
    administration = Administration(
        clinic=client.clinic,
        client=client,
        instrument_id=instrument_id,
        instrument_version=definition.version,
        language=definition.language,
        mode=mode,
        created_by=actor.member,
    )
    return writes.save(actor, administration, Action.CREATE, detail=f"{instrument_id}, {mode}")


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
        raise ValidationError("This questionnaire is already finished; start a new one.")
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
