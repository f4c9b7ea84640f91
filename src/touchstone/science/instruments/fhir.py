"""FHIR R4: import a third party's Questionnaire, score its QuestionnaireResponses, export.

Answer weights come from the ``ordinalValue`` (R4) or ``itemWeight`` (Extensions Pack)
extension on ``answerOption`` or on a contained ValueSet's concepts (instruments.md 4,
[ext-itemWeight]). A response's ``valueCoding`` matches an option by (system, code); by code
alone when either side has no system (LHC-Forms exports omit it, [LHC-PHQ9]). An unknown
code is an :class:`~touchstone.science.instruments.scoring.AnswerError` naming the linkId
and code, never a zero.

When the imported Questionnaire's ``code`` is the panel code of a built-in instrument
(e.g. LOINC 44249-1, PHQ-9), or ``like=`` names one, its items are mapped to the built-in
items (by item code, else by order) and the built-in scoring rules apply: bands, missing-item
rule, risk items. Otherwise the import is a plain, non-validated sum of the weighted items.

Examples
--------
>>> from touchstone.science.instruments import load_instrument
>>> q = to_fhir_questionnaire(load_instrument("gad7"))
>>> q["resourceType"], len(q["item"])
('Questionnaire', 10)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from touchstone.science.instruments.loader import (
    MAX_VALUE,
    MIN_VALUE,
    WEIGHT_EXTENSIONS,
    all_instruments,
    ext_int,
    in_language,
    load_instrument,
    resolve_options,
    weight_of,
)
from touchstone.science.instruments.model import (
    ChangeParameters,
    Coding,
    Instrument,
    Item,
    Licence,
    MissingRule,
)
from touchstone.science.instruments.scoring import (
    AnswerError,
    Answers,
    ScoreResult,
    normalise_answers,
    parse_answer,
    score_values,
)

ORDINAL_VALUE = WEIGHT_EXTENSIONS[0]
FHIR_ANSWERABLE = {"choice", "integer"}
#: The recall period of an exported Questionnaire (a ``valueDuration`` in UCUM). FHIR R4 has
#: no element for it, so Touchstone states it in its own extension, beside the authors'
#: instructions (the display items), which say it in words.
RECALL_PERIOD_EXTENSION = "https://touchstone.invalid/fhir/StructureDefinition/recall-period"
UCUM = "http://unitsofmeasure.org"


class QuestionnaireImportError(ValueError):
    """The Questionnaire cannot be imported (or does not match the instrument named)."""


def _walk(items: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for it in items:
        yield it
        yield from _walk(it.get("item", ()))


def _is_calculated(item: Mapping[str, Any]) -> bool:
    return bool(item.get("readOnly")) or any(
        "calculatedExpression" in ext.get("url", "") for ext in item.get("extension", ())
    )


def texts_from_questionnaire(instrument: Instrument, q: Mapping[str, Any]) -> dict[str, Any]:
    """The texts of ``q``, a FHIR Questionnaire holding a (licensed) text of ``instrument``, in
    the shape :func:`~touchstone.science.instruments.loader.merge_texts` takes.

    Its display items' texts become the instructions; each answerable item's text and option
    labels are keyed by the instrument's linkId (the item's own when the instrument has it,
    else the instrument's item with the same code, e.g. LOINC) and by option code. Nothing
    else is read: weights and scoring stay the instrument's, and ``merge_texts`` refuses an
    item or option the instrument does not have.

    Raises
    ------
    QuestionnaireImportError
        If ``q`` is not a Questionnaire or an item's options cannot be read.
    """
    if q.get("resourceType") != "Questionnaire":
        raise QuestionnaireImportError("not a FHIR Questionnaire (resourceType)")
    contained = {r["id"]: r for r in q.get("contained", ()) if r.get("resourceType") == "ValueSet"}
    ours = {it.link_id for it in instrument.items}
    by_code = {c.code: it.link_id for it in instrument.items for c in it.codes}
    instructions: list[str] = []
    items: dict[str, dict[str, Any]] = {}
    for raw in _walk(q.get("item", ())):
        if raw.get("type") == "display":
            if raw.get("text"):
                instructions.append(str(raw["text"]))
            continue
        if raw.get("type") not in FHIR_ANSWERABLE or _is_calculated(raw):
            continue
        link_id = str(raw.get("linkId", ""))
        if link_id not in ours:
            codes = [str(c.get("code")) for c in raw.get("code", ())]
            link_id = next((by_code[c] for c in codes if c in by_code), link_id)
        try:
            options = resolve_options(raw, contained, f"item {link_id}")
        except ValueError as exc:
            raise QuestionnaireImportError(str(exc)) from None
        entry: dict[str, Any] = {"text": str(raw.get("text") or "")}
        if options:
            entry["options"] = {o.code: o.display or "" for o in options}
        items[link_id] = entry
    return {"instructions": instructions, "items": items} if instructions else {"items": items}


def _imported_items(q: Mapping[str, Any]) -> list[Item]:
    contained = {r["id"]: r for r in q.get("contained", ()) if r.get("resourceType") == "ValueSet"}
    items: list[Item] = []
    for raw in _walk(q.get("item", ())):
        if raw.get("type") not in FHIR_ANSWERABLE or _is_calculated(raw):
            continue
        link_id = str(raw["linkId"])
        try:
            options = resolve_options(raw, contained, f"item {link_id}")
        except ValueError as exc:
            raise QuestionnaireImportError(str(exc)) from None
        weighted = _has_weights(raw, contained)
        if raw["type"] == "choice" and not options:
            raise QuestionnaireImportError(f"item {link_id}: a choice item without answer options")
        if raw["type"] == "integer":
            lo, hi = ext_int(raw, MIN_VALUE), ext_int(raw, MAX_VALUE)
            weighted = lo is not None and hi is not None
            values = [lo or 0, hi or 0]
        else:
            values = [o.value for o in options]
        items.append(
            Item(
                link_id=link_id,
                number=0,
                text=raw.get("text"),
                codes=tuple(
                    Coding(c.get("system"), str(c["code"]), c.get("display"))
                    for c in raw.get("code", ())
                ),
                options=options,
                min_value=min(values),
                max_value=max(values),
                scored=weighted,
                reverse=False,  # FHIR weights are already item scores
                required=bool(raw.get("required", False)),
            )
        )
    return items


def _has_weights(raw: Mapping[str, Any], contained: Mapping[str, Mapping[str, Any]]) -> bool:
    if "answerOption" in raw:
        return all(weight_of(o) is not None for o in raw["answerOption"])
    ref = raw.get("answerValueSet", "")
    vs = contained.get(ref[1:]) if ref.startswith("#") else None
    if vs is None:
        return False
    concepts = [c for inc in vs["compose"]["include"] for c in inc.get("concept", ())]
    return bool(concepts) and all(weight_of(c) is not None for c in concepts)


def _builtin_for(q: Mapping[str, Any]) -> Instrument | None:
    codes = {(c.get("system"), c.get("code")) for c in q.get("code", ())}
    for inst in all_instruments().values():
        if inst.code is not None and (inst.code.system, inst.code.code) in codes:
            return inst
    return None


def import_questionnaire(
    questionnaire: Mapping[str, Any], *, like: str | Instrument | None = None
) -> Instrument:
    """Build a scorable :class:`Instrument` from a FHIR R4 Questionnaire.

    Parameters
    ----------
    questionnaire : mapping
        The parsed Questionnaire JSON.
    like : str or Instrument, optional
        A built-in instrument whose rules apply (found from ``Questionnaire.code`` if not
        given). Items are matched by item code, or by order when the third party's items
        carry no codes (the counts and score ranges must match).

    Raises
    ------
    QuestionnaireImportError
        Not a Questionnaire, no weighted items, or items that do not match ``like``.
    """
    if questionnaire.get("resourceType") != "Questionnaire":
        raise QuestionnaireImportError("resourceType is not Questionnaire")
    items = _imported_items(questionnaire)
    if not any(it.scored for it in items):
        raise QuestionnaireImportError("no item carries ordinalValue/itemWeight answer weights")
    template = load_instrument(like) if isinstance(like, str) else like
    template = template or _builtin_for(questionnaire)
    if template is not None:
        return _map_onto(template, questionnaire, items)
    ordered = [it for it in items if it.scored] + [it for it in items if not it.scored]
    ordered = [replace(it, number=n) for n, it in enumerate(ordered, start=1)]
    scored = tuple(it for it in ordered if it.scored)
    qid = str(questionnaire.get("id") or questionnaire.get("name") or "imported")
    return Instrument(
        id=qid,
        title=str(questionnaire.get("title") or qid),
        version=str(questionnaire.get("version", "")),
        url=str(questionnaire.get("url", "")),
        code=None,
        total_code=Coding(None, f"{qid}-total", "sum of weighted items"),
        copyright=questionnaire.get("copyright"),
        validated=False,
        items=tuple(ordered),
        scored_items=scored,
        total_min=sum(it.min_value for it in scored),
        total_max=sum(it.max_value for it in scored),
        missing=MissingRule(0, False, "Imported: every weighted item is required.", "Touchstone"),
        bands=(),
        cutoffs=(),
        risk=(),
        subscales=(),
        transforms=(),
        change=ChangeParameters(direction="lower_is_better", notes="imported, no parameters"),
        licence=Licence("unverified", True, "", "Imported third-party Questionnaire.", "import"),
        source_file="<imported>",
        definition=questionnaire,
    )


def _map_onto(template: Instrument, q: Mapping[str, Any], items: list[Item]) -> Instrument:
    """Re-key ``template``'s items to the imported linkIds and answer options."""
    mapping: dict[str, Item] = {}
    by_code = {c.code: it for it in items for c in it.codes}
    for t_item in template.items:
        match = next((by_code[c.code] for c in t_item.codes if c.code in by_code), None)
        if match is not None:
            mapping[t_item.link_id] = match
    t_scored = [it.link_id for it in template.scored_items]
    if not all(x in mapping for x in t_scored):
        weighted = [it for it in items if it.scored]
        if len(weighted) != len(t_scored):
            raise QuestionnaireImportError(
                f"{len(weighted)} weighted items do not match {template.id}'s {len(t_scored)}"
            )
        mapping = dict(zip(t_scored, weighted, strict=True))
    new_items: list[Item] = []
    for t_item in template.items:
        src = mapping.get(t_item.link_id)
        if src is None:
            continue
        if t_item.scored and (src.min_value, src.max_value) != (
            min(t_item.item_score(t_item.min_value), t_item.item_score(t_item.max_value)),
            max(t_item.item_score(t_item.min_value), t_item.item_score(t_item.max_value)),
        ):
            raise QuestionnaireImportError(
                f"item {src.link_id}: weights {src.min_value}-{src.max_value} do not match "
                f"{template.id} item {t_item.link_id}"
            )
        new_items.append(
            replace(src, number=len(new_items) + 1, scored=t_item.scored, reverse=False)
        )
    rename = {t: mapping[t].link_id for t in mapping}
    scored = tuple(it for it in new_items if it.scored)
    return replace(
        template,
        id=template.id,
        url=str(q.get("url", template.url)),
        items=tuple(new_items),
        scored_items=scored,
        risk=tuple(replace(r, link_id=rename[r.link_id]) for r in template.risk),
        subscales=tuple(
            replace(s, link_ids=tuple(rename[x] for x in s.link_ids)) for s in template.subscales
        ),
        source_file="<imported>",
        definition=q,
    )


def _match_coding(item: Item, coding: Mapping[str, Any]) -> int:
    code, system = coding.get("code"), coding.get("system")
    for opt in item.options:
        if opt.code == code and (system is None or opt.system is None or opt.system == system):
            return opt.value
    shown = f"{system}|{code}" if system else str(code)
    raise AnswerError(f"item {item.link_id}: unknown answer code {shown}")


def response_values(instrument: Instrument, response: Mapping[str, Any]) -> dict[str, int | None]:
    """The response values of a QuestionnaireResponse, keyed by the instrument's linkIds.

    Items the instrument does not score (groups, a reported total) are ignored.

    Raises
    ------
    AnswerError
        Unknown answer code, several answers to one item, or a value off the scale.
    """
    if response.get("resourceType") != "QuestionnaireResponse":
        raise AnswerError("resourceType is not QuestionnaireResponse")
    by_id = {it.link_id: it for it in instrument.items}
    values: dict[str, int | None] = {it.link_id: None for it in instrument.items}
    for raw in _walk(response.get("item", ())):
        item = by_id.get(str(raw.get("linkId")))
        answers = raw.get("answer", ())
        if item is None or not answers:
            continue
        if len(answers) > 1:
            raise AnswerError(
                f"item {item.link_id}: {len(answers)} answers to a single-answer item"
            )
        answer = answers[0]
        if "valueCoding" in answer:
            values[item.link_id] = _match_coding(item, answer["valueCoding"])
        elif "valueInteger" in answer or "valueDecimal" in answer:
            values[item.link_id] = parse_answer(
                item, answer.get("valueInteger", answer.get("valueDecimal"))
            )
        else:
            raise AnswerError(f"item {item.link_id}: unsupported answer type {sorted(answer)}")
    return values


def score_response(instrument: Instrument, response: Mapping[str, Any]) -> ScoreResult:
    """Score a FHIR QuestionnaireResponse by the instrument's rules."""
    return score_values(instrument, response_values(instrument, response))


def to_fhir_questionnaire(instrument: Instrument) -> dict[str, Any]:
    """A plain FHIR R4 Questionnaire for export: Touchstone blocks removed.

    The authors' instructions come first, as ``display`` items (clinic-supplied instructions
    of a licensed instrument included), and the recall period is stated in the
    :data:`RECALL_PERIOD_EXTENSION` extension. Each choice item lists its ``answerOption``
    with an ``ordinalValue`` extension equal to the option's *item score* (reversal applied),
    which is what FHIR scoring engines sum (instruments.md 4). The total is a read-only item
    coded with the total's code.
    """
    d = instrument.definition
    q: dict[str, Any] = {"resourceType": "Questionnaire"}
    for key in ("id", "url", "version", "name", "title", "status", "code", "copyright"):
        if key in d:
            q[key] = d[key]
    q["language"] = instrument.language
    if instrument.recall is not None:
        recall = instrument.recall
        q["extension"] = [
            {
                "url": RECALL_PERIOD_EXTENSION,
                "valueDuration": {
                    "value": recall.value,
                    "unit": recall.label.split(" ", 1)[1],
                    "system": UCUM,
                    "code": recall.unit,
                },
            }
        ]
    display_ids = [raw["linkId"] for raw in d.get("item", ()) if raw.get("type") == "display"]
    display_ids += [
        f"{instrument.id}-instructions-{n + 1}"
        for n in range(len(display_ids), len(instrument.instructions))
    ]
    out_items: list[dict[str, Any]] = [
        {"linkId": link_id, "type": "display", "text": text}
        for link_id, text in zip(display_ids, instrument.instructions, strict=False)
    ]
    by_id = {it.link_id: it for it in instrument.items}
    for raw in d.get("item", ()):
        it = by_id.get(raw.get("linkId", ""))
        if it is None:
            continue
        entry = {"linkId": it.link_id, "type": raw["type"], "required": it.required}
        if it.codes:
            entry["code"] = [_coding_dict(c) for c in it.codes]
        if it.text:
            entry["text"] = it.text
        if raw["type"] == "choice":
            entry["answerOption"] = [
                {
                    "valueCoding": _coding_dict(Coding(o.system, o.code, o.display)),
                    **(
                        {
                            "extension": [
                                {"url": ORDINAL_VALUE, "valueDecimal": it.item_score(o.value)}
                            ]
                        }
                        if it.scored
                        else {}
                    ),
                }
                for o in it.options
            ]
        elif "extension" in raw:
            entry["extension"] = list(raw["extension"])
        out_items.append(entry)
    out_items.append(
        {
            "linkId": f"{instrument.id}-total",
            "type": "integer",
            "readOnly": True,
            "code": [_coding_dict(instrument.total_code)],
            "text": "Total score",
        }
    )
    q["item"] = out_items
    q["title"] = instrument.title
    for language, translation in sorted(instrument.translations.items()):
        if language != instrument.language:
            _add_translation(q, in_language(instrument, language), translation)
    return q


#: The R4 core extension for a text in another language (on a string's ``_element``).
TRANSLATION_EXTENSION = "http://hl7.org/fhir/StructureDefinition/translation"


def _translate(element: dict[str, Any], key: str, language: str, content: str | None) -> None:
    """Add ``content`` as the ``language`` translation of ``element[key]``."""
    if not content or key not in element:
        return
    ext = {
        "url": TRANSLATION_EXTENSION,
        "extension": [
            {"url": "lang", "valueCode": language},
            {"url": "content", "valueString": content},
        ],
    }
    element.setdefault(f"_{key}", {}).setdefault("extension", []).append(ext)


def _add_translation(q: dict[str, Any], translated: Instrument, raw: Mapping[str, Any]) -> None:
    """Carry one official translation in ``q`` as translation extensions (the title, the
    instructions, each item's text and each option's label), so a receiver can show the
    questionnaire in the language a response was given in (``QuestionnaireResponse.language``).
    """
    language = translated.language
    if "title" in raw:
        _translate(q, "title", language, translated.title)
    displays = [i for i in q["item"] if i["type"] == "display"]
    for element, text in zip(displays, translated.instructions, strict=False):
        _translate(element, "text", language, text)
    by_id = {it.link_id: it for it in translated.items}
    for element in q["item"]:
        it = by_id.get(element["linkId"])
        if it is None:
            continue
        _translate(element, "text", language, it.text)
        labels = {o.code: o.display for o in it.options}
        for option in element.get("answerOption", ()):
            coding = option["valueCoding"]
            _translate(coding, "display", language, labels.get(coding["code"]))


def _weight(value: int) -> dict[str, Any]:
    return {"url": ORDINAL_VALUE, "valueDecimal": value}


def _coding_dict(c: Coding) -> dict[str, str]:
    out = {"code": c.code}
    if c.system:
        out["system"] = c.system
    if c.display:
        out["display"] = c.display
    return out


def to_questionnaire_response(instrument: Instrument, answers: Answers) -> dict[str, Any]:
    """A FHIR R4 QuestionnaireResponse carrying these answers (for export and round trips)."""
    values = normalise_answers(instrument, answers)
    items: list[dict[str, Any]] = []
    for it in instrument.items:
        v = values[it.link_id]
        if v is None:
            continue
        if it.options:
            opt = next(o for o in it.options if o.value == v)
            answer: dict[str, Any] = {
                "valueCoding": _coding_dict(Coding(opt.system, opt.code, opt.display))
            }
        else:
            answer = {"valueInteger": v}
        items.append({"linkId": it.link_id, "answer": [answer]})
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{instrument.url}|{instrument.version}",
        "status": "completed",
        "item": items,
    }
