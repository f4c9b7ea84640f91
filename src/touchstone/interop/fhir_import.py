"""Import QuestionnaireResponses from another system into a client's record.

Accepts a QuestionnaireResponse, or a Bundle holding QuestionnaireResponses and (optionally)
the Questionnaires they answer. Each response is matched to a built-in instrument:

1. its ``questionnaire`` canonical is a built-in instrument's URL (Touchstone's own export);
2. the Questionnaire it names is in the Bundle (or contained in the response): it is imported
   with ``science.instruments.import_questionnaire``, which maps it onto the built-in
   instrument with the same panel code (e.g. LOINC 44249-1) or the same weighted items (the
   SDC PHQ-9 example, mapped by order and weights);
3. its item linkIds are the LOINC item codes of one built-in instrument (US Core's PHQ-9
   example: ``/44250-9`` …) with LOINC answer codes.

The answers, re-keyed to the built-in linkIds, then go through ``measures.actions``
(``do_start_administration`` with mode IMPORT and ``do_save_answers``): scored by the
instrument engine, risk alerts raised as on any other path. All or nothing: the first
problem raises :class:`FhirImportError` naming the entry, and the transaction rolls back.

Before anything is stored, the file's patient is checked against the client
(``interop.patient_match``, where the rules are): a mismatch, or a file that cannot be checked,
raises :class:`PatientMismatchError` unless the caller passes ``accept_patient_mismatch=True``
(the user confirmed explicitly); both the refusal and the confirmed import are audited.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from touchstone.audit import writes
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.models import Client
from touchstone.interop.fhir_person import preferred_language
from touchstone.interop.patient_match import (
    PatientCheck,
    PatientFileError,
    Verdict,
    check_patient,
)
from touchstone.logs import import_failed, import_finished
from touchstone.measures import actions as measures_actions
from touchstone.measures.models import Administration, Mode
from touchstone.outcomes.summaries import batched_summaries
from touchstone.science.instruments import (
    AnswerError,
    Instrument,
    QuestionnaireImportError,
    all_instruments,
    import_questionnaire,
    score,
)
from touchstone.science.instruments.fhir import response_values


class FhirImportError(ValueError):
    """The file cannot be imported; nothing was saved."""


class PatientMismatchError(FhirImportError):
    """The file's patient is not the client, or cannot be checked; nothing was saved. The
    message names both people (for the screen only); ``check.reason`` is a fixed code."""

    def __init__(self, check: PatientCheck, client: Client) -> None:
        super().__init__(check.message(client))
        self.check = check


@dataclass(frozen=True)
class Imported:
    administration: Administration
    instrument_id: str
    total: int | None
    alerts: int


def _canonical(url: str) -> str:
    return url.split("|", 1)[0].strip()


def _responses(data: Mapping[str, Any]) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    kind = data.get("resourceType") if isinstance(data, Mapping) else None
    if kind == "QuestionnaireResponse":
        _check_structure(data, "Response 1")
        return [dict(data)], {}
    if kind != "Bundle":
        raise FhirImportError(
            "Expected a QuestionnaireResponse or a Bundle, "
            f"not {kind or 'a file without resourceType'}."
        )
    responses, questionnaires = [], {}
    for index, entry in enumerate(data.get("entry") or []):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping):
            raise FhirImportError(f"Bundle entry {index + 1} has no resource.")
        if resource.get("resourceType") == "QuestionnaireResponse":
            responses.append(dict(resource))
        elif resource.get("resourceType") == "Questionnaire" and resource.get("url"):
            questionnaires[_canonical(resource["url"])] = dict(resource)
        elif resource.get("resourceType") == "Patient":
            _check_structure(resource, f"Bundle entry {index + 1} (Patient)")
    if not responses:
        raise FhirImportError("The Bundle holds no QuestionnaireResponse.")
    for number, resource in enumerate(responses, start=1):
        _check_structure(resource, f"Response {number}")
    for url, resource in questionnaires.items():
        _check_structure(resource, f"Questionnaire {url}")
    return responses, questionnaires


def _check_structure(resource: Mapping[str, Any], label: str) -> None:
    """Refuse a resource that is not structurally FHIR (R4B models of fhir.resources), with
    the first offending path, before anything reads it."""
    from fhir.resources.R4B import get_fhir_model_class

    try:
        get_fhir_model_class(str(resource["resourceType"])).model_validate(dict(resource))
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        first = str(error).splitlines()
        detail = "; ".join(line.strip() for line in first[1:3]) or str(error)
        raise FhirImportError(f"{label} is not valid FHIR: {detail}") from None


def _by_url() -> dict[str, Instrument]:
    return {_canonical(i.url): i for i in all_instruments().values() if i.url}


def _rekey(
    template: Instrument, mapped: Instrument, values: dict[str, int | None]
) -> dict[str, int]:
    """Values of a mapped (imported) instrument, keyed by the built-in linkIds."""
    pairs = list(zip(template.scored_items, mapped.scored_items, strict=True))
    by_code = {c.code: it for it in mapped.items for c in it.codes}
    for t_item in template.items:
        if t_item.scored:
            continue
        match = next((by_code[c.code] for c in t_item.codes if c.code in by_code), None)
        if match is not None:
            pairs.append((t_item, match))
    out: dict[str, int] = {}
    for t_item, m_item in pairs:
        value = values.get(m_item.link_id)
        if value is None:
            continue
        if t_item.scored and t_item.reverse:  # imported weights are item scores
            value = next(
                v
                for v in range(t_item.min_value, t_item.max_value + 1)
                if t_item.item_score(v) == value
            )
        out[t_item.link_id] = value
    return out


def _loinc_linkids(qr: Mapping[str, Any]) -> tuple[Instrument, dict[str, Any]] | None:
    """US Core style: linkIds are '/<LOINC item code>' with LOINC answer codes."""
    answers: dict[str, Any] = {}
    for item in qr.get("item") or []:
        code = str(item.get("linkId", "")).lstrip("/")
        given = item.get("answer") or []
        if given and "valueCoding" in given[0]:
            answers[code] = given[0]["valueCoding"].get("code")
        elif given and "valueInteger" in given[0]:
            answers[code] = given[0]["valueInteger"]
    best: tuple[int, Instrument, dict[str, Any]] | None = None
    for inst in all_instruments().values():  # the largest instrument answered (PHQ-9 over PHQ-2)
        codes = {c.code for it in inst.items for c in it.codes}
        scored = {c.code for it in inst.scored_items for c in it.codes}
        if scored and scored <= set(answers) and (best is None or len(scored) > best[0]):
            best = (len(scored), inst, {k: v for k, v in answers.items() if k in codes})
    return (best[1], best[2]) if best else None


def _mapped(questionnaire: Mapping[str, Any]) -> Instrument:
    """The Questionnaire mapped onto a built-in instrument: by its panel code, else onto the
    one validated instrument whose weighted items it matches (count and weights)."""
    plain = import_questionnaire(questionnaire)
    if plain.source_file == "<imported>" and plain.validated:
        return plain  # mapped by its code
    matches = []
    for inst in all_instruments().values():
        if not inst.validated:
            continue
        try:
            matches.append(import_questionnaire(questionnaire, like=inst))
        except QuestionnaireImportError:
            continue
    return matches[0] if len(matches) == 1 else plain


def resolve(
    qr: Mapping[str, Any], questionnaires: Mapping[str, Mapping[str, Any]]
) -> tuple[Instrument, dict[str, Any]]:
    """The built-in instrument a response answers, and its answers keyed for that instrument."""
    url = _canonical(str(qr.get("questionnaire") or ""))
    builtin = _by_url().get(url)
    if builtin is not None:
        return builtin, {k: v for k, v in response_values(builtin, qr).items() if v is not None}
    contained = {
        _canonical(r.get("url", "")): r
        for r in qr.get("contained") or []
        if r.get("resourceType") == "Questionnaire"
    }
    questionnaire = questionnaires.get(url) or contained.get(url)
    if questionnaire is not None:
        mapped = _mapped(questionnaire)
        template = all_instruments().get(mapped.id)
        if template is None or mapped.source_file != "<imported>" or not mapped.validated:
            raise FhirImportError(
                f"The Questionnaire {url} matches no instrument Touchstone scores; "
                "only validated instruments are imported into a record."
            )
        return template, _rekey(template, mapped, response_values(mapped, qr))
    found = _loinc_linkids(qr)
    if found is not None:
        return found
    raise FhirImportError(
        f"The Questionnaire {url or '(none named)'} is unknown: include it in the Bundle."
    )


def _authored(qr: Mapping[str, Any]) -> dt.datetime | None:
    raw = str(qr.get("authored") or "")
    when = parse_datetime(raw)
    if when is None and parse_date(raw) is not None:
        when = dt.datetime.combine(parse_date(raw), dt.time(12, 0))  # type: ignore[arg-type]
    if when is not None and timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when is not None and when > timezone.now() + dt.timedelta(minutes=5):
        raise FhirImportError("A QuestionnaireResponse is authored in the future.")
    return when


def do_import_fhir(
    actor: Actor,
    client: Client,
    data: Mapping[str, Any],
    *,
    accept_patient_mismatch: bool = False,
) -> list[Imported]:
    """Import every QuestionnaireResponse in ``data`` into ``client``'s record, or none.

    ``accept_patient_mismatch`` is the user's explicit confirmation that the answers are the
    client's although the file's patient does not match (or cannot be checked)."""
    started = time.perf_counter()
    try:
        imported = _import(actor, client, data, accept_patient_mismatch)
    except PatientMismatchError as error:
        import_failed("fhir", f"patient_{error.check.verdict}")  # the message names people
        raise
    except FhirImportError:
        import_failed("fhir", "invalid")  # the message may quote the file: not logged
        raise
    import_finished(
        "fhir", started, responses=len(imported), alerts=sum(i.alerts for i in imported)
    )
    return imported


def _prepare(
    responses: list[dict[str, Any]], questionnaires: dict[str, dict[str, Any]]
) -> list[tuple[Any, dict[str, Any], dt.datetime | None, str | None]]:
    """Every response resolved to an instrument, its answers scored once to check them, its
    authored time and its ``language``, before anything is written (raises
    ``FhirImportError``)."""
    prepared = []
    for number, qr in enumerate(responses, start=1):
        if qr.get("status") not in (None, "completed", "amended"):
            status = qr.get("status")
            raise FhirImportError(f"Response {number}: status {status!r} is not completed.")
        try:
            definition, answers = resolve(qr, questionnaires)
            authored = _authored(qr)
            score(definition, {k: v for k, v in answers.items() if v not in (None, "")})
        except (AnswerError, QuestionnaireImportError) as error:
            raise FhirImportError(f"Response {number}: {error}") from None
        except FhirImportError as error:
            raise FhirImportError(f"Response {number}: {error}") from None
        language = qr.get("language")
        prepared.append((definition, answers, authored, str(language) if language else None))
    return prepared


def _import(
    actor: Actor, client: Client, data: Mapping[str, Any], accept_patient_mismatch: bool
) -> list[Imported]:
    responses, questionnaires = _responses(data)
    try:
        check = check_patient(data, responses, client)
    except PatientFileError as error:
        raise FhirImportError(str(error)) from None
    if check.verdict != Verdict.MATCH and not accept_patient_mismatch:
        # Nothing is stored; the attempt is kept (identifiers and a reason code only).
        record(
            actor,
            Action.CREATE,
            client,
            detail=f"fhir import refused: patient {check.verdict} ({check.reason}); nothing stored",
        )
        raise PatientMismatchError(check, client)
    patient = (
        f"patient matched ({check.reason})"
        if check.verdict == Verdict.MATCH
        else f"patient {check.verdict} ({check.reason}) accepted by the user"
    )
    # Parsing, resolving and checking happen first, outside the transaction: on SQLite the
    # transaction holds the database's only write lock, so it holds only the writes.
    prepared = _prepare(responses, questionnaires)
    # The language the answers were given in: the response's own ``language``, else the
    # Patient's preferred ``communication``, else the instrument's (recorded only when the
    # instrument has an official translation in it).
    spoken = preferred_language(check.patient.resource or {})
    imported: list[Imported] = []
    with transaction.atomic(), batched_summaries():
        for number, (definition, answers, authored, language) in enumerate(prepared, start=1):
            try:
                administration = measures_actions.do_start_administration(
                    actor, client, definition.id, Mode.IMPORT,
                    language or spoken or definition.language,
                )  # fmt: skip
                alerts = measures_actions.do_save_answers(
                    actor, administration, answers, complete=True
                )
            except ValidationError as error:
                raise FhirImportError(f"Response {number}: {' '.join(error.messages)}") from None
            if authored is not None:
                administration.started_at = authored
                administration.completed_at = authored
                writes.save(
                    actor,
                    administration,
                    Action.UPDATE,
                    update_fields=["started_at", "completed_at"],
                    detail="authored time of the imported response",
                )
            imported.append(
                Imported(administration, definition.id, administration.total, len(alerts))
            )
        record(
            actor,
            Action.CREATE,
            client,
            detail=f"fhir import, {len(imported)} responses, {patient}",
        )
    return imported
