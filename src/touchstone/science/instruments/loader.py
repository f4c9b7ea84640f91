"""Load and validate instrument definitions.

Validation has two layers: the JSON Schema in ``definition.schema.json`` (shape and types,
checked with :mod:`jsonschema`) and semantic checks written here (references between
parts: scored and risk items exist, bands are contiguous and cover the score range, the
declared total range matches the items...). Every error names the file and the JSON path,
e.g. ``phq9.json: scoring.bands[2].min: ...``.

Examples
--------
>>> from touchstone.science.instruments import load_instrument
>>> load_instrument("phq9").total_max
27
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any, cast

import jsonschema

from touchstone.science.instruments.model import (
    AnswerOption,
    Band,
    ChangeParameters,
    Coding,
    Cutoff,
    Instrument,
    Item,
    Licence,
    MissingRule,
    Norm,
    RecallPeriod,
    RiskRule,
    Subscale,
    Transform,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DEFINITIONS_DIR = PACKAGE_DIR / "definitions"
SCHEMA_PATH = PACKAGE_DIR / "definition.schema.json"

#: Extensions that carry an answer's numeric score. ``ordinalValue`` is the R4 name;
#: the FHIR Extensions Pack renamed it ``itemWeight`` (instruments.md 4, [ext-itemWeight]).
WEIGHT_EXTENSIONS = (
    "http://hl7.org/fhir/StructureDefinition/ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/itemWeight",
)
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"


class DefinitionError(ValueError):
    """A definition file is malformed; the message names the file and the JSON path."""


class UnknownInstrumentError(LookupError):
    """No instrument with this id."""


def json_path(parts: Iterable[str | int]) -> str:
    """Format a JSON path as ``scoring.bands[2].min``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(root)"


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def weight_of(element: Mapping[str, Any]) -> float | None:
    """The ordinalValue/itemWeight of an answer option or ValueSet concept, if any."""
    for ext in element.get("extension", ()):
        if ext.get("url") in WEIGHT_EXTENSIONS:
            for key in ("valueDecimal", "valueInteger"):
                if key in ext:
                    return float(ext[key])
    return None


def ext_int(item: Mapping[str, Any], url: str) -> int | None:
    for ext in item.get("extension", ()):
        if ext.get("url") == url and "valueInteger" in ext:
            return int(ext["valueInteger"])
    return None


def resolve_options(
    item: Mapping[str, Any],
    contained: Mapping[str, Mapping[str, Any]],
    where: str,
) -> tuple[AnswerOption, ...]:
    """The answer options of a choice item, from ``answerOption`` or a contained ValueSet.

    Options without a weight are given their 0-based position as value (used only for
    unscored items such as the PHQ-9 difficulty item; a scored item must carry weights,
    which :func:`parse_definition` checks).

    Raises
    ------
    DefinitionError
        If ``answerValueSet`` names no contained ValueSet, or an option is not coded.
    """
    options: list[AnswerOption] = []
    if "answerOption" in item:
        for i, opt in enumerate(item["answerOption"]):
            weight = weight_of(opt)
            if "valueCoding" in opt:
                coding = opt["valueCoding"]
                value = i if weight is None else weight
                options.append(
                    AnswerOption(
                        code=str(coding["code"]),
                        system=coding.get("system"),
                        value=_as_int(value, f"{where}.answerOption[{i}]"),
                        display=coding.get("display"),
                    )
                )
            elif "valueInteger" in opt:
                v = int(opt["valueInteger"])
                options.append(AnswerOption(code=str(v), system=None, value=v))
            else:
                raise DefinitionError(
                    f"{where}.answerOption[{i}]: needs valueCoding or valueInteger"
                )
        return tuple(options)
    ref = item.get("answerValueSet")
    if ref is None:
        return ()
    if not ref.startswith("#") or ref[1:] not in contained:
        raise DefinitionError(f"{where}.answerValueSet: {ref!r} is not a contained ValueSet")
    vs = contained[ref[1:]]
    position = 0
    for inc in vs.get("compose", {}).get("include", ()):
        for concept in inc.get("concept", ()):
            weight = weight_of(concept)
            value = position if weight is None else weight
            options.append(
                AnswerOption(
                    code=str(concept["code"]),
                    system=inc.get("system"),
                    value=_as_int(value, f"{where}.answerValueSet {ref}"),
                    display=concept.get("display"),
                )
            )
            position += 1
    return tuple(options)


def _as_int(value: float, where: str) -> int:
    if float(value) != int(value):
        raise DefinitionError(f"{where}: answer weight {value} is not a whole number")
    return int(value)


def _codings(raw: Sequence[Mapping[str, Any]] | None) -> tuple[Coding, ...]:
    return tuple(Coding(c.get("system"), str(c["code"]), c.get("display")) for c in raw or ())


class _Checker:
    """Collects the first semantic error with its path."""

    def __init__(self, filename: str) -> None:
        self.filename = filename

    def fail(self, path: Iterable[str | int], message: str) -> DefinitionError:
        return DefinitionError(f"{self.filename}: {json_path(path)}: {message}")


def parse_definition(data: Mapping[str, Any], filename: str = "<definition>") -> Instrument:
    """Validate a definition dictionary and build an :class:`Instrument`.

    Parameters
    ----------
    data : mapping
        The parsed JSON of a definition file.
    filename : str
        Used in error messages (``phq9.json: scoring.bands[2].min: ...``).

    Raises
    ------
    DefinitionError
        On the first schema or semantic error, naming ``filename`` and the JSON path.
    """
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = max(errors, key=lambda e: len(e.absolute_path))
        raise DefinitionError(f"{filename}: {json_path(err.absolute_path)}: {err.message}")
    chk = _Checker(filename)
    if filename.endswith(".json") and Path(filename).stem != data["id"]:
        raise chk.fail(["id"], f"{data['id']!r} does not match the file name {filename!r}")

    contained = {vs["id"]: vs for vs in data.get("contained", ())}
    scoring = data["scoring"]
    scored_ids = list(scoring["items"])
    reverse_ids = set(scoring["reverse"])
    sex_specific = scoring.get("sex_specific", [])
    sex_rules = {rule["item"]: tuple(rule["applies_to"]) for rule in sex_specific}
    items: list[Item] = []
    instructions: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["item"]):
        where: list[str | int] = ["item", i]
        link_id = raw["linkId"]
        if link_id in seen:
            raise chk.fail([*where, "linkId"], f"duplicate linkId {link_id!r}")
        seen.add(link_id)
        if raw["type"] == "display":
            if raw.get("text"):
                instructions.append(raw["text"])
            continue
        try:
            options = resolve_options(raw, contained, json_path(where))
        except DefinitionError as exc:
            raise DefinitionError(f"{filename}: {exc}") from None
        if raw["type"] == "choice":
            if not options:
                raise chk.fail(where, "a choice item needs answerOption or answerValueSet")
            codes = [o.code for o in options]
            if len(set(codes)) != len(codes):
                raise chk.fail(where, "answer codes are not unique")
            values = [o.value for o in options]
            lo, hi = min(values), max(values)
        else:
            lo_ext, hi_ext = ext_int(raw, MIN_VALUE), ext_int(raw, MAX_VALUE)
            if lo_ext is None or hi_ext is None or lo_ext > hi_ext:
                raise chk.fail([*where, "extension"], "an integer item needs minValue <= maxValue")
            lo, hi, values = lo_ext, hi_ext, list(range(lo_ext, hi_ext + 1))
        if link_id in reverse_ids and sorted(lo + hi - v for v in values) != sorted(values):
            raise chk.fail(where, "a reverse-scored item needs answer values symmetric in range")
        items.append(
            Item(
                link_id=link_id,
                number=len(items) + 1,
                text=raw.get("text"),
                codes=_codings(raw.get("code")),
                options=options,
                min_value=lo,
                max_value=hi,
                scored=link_id in scored_ids,
                reverse=link_id in reverse_ids,
                required=bool(raw.get("required", True)),
                applies_to_sex=sex_rules.get(link_id),
            )
        )
    by_id = {it.link_id: it for it in items}
    for j, rule in enumerate(sex_specific):
        if rule["item"] not in scored_ids:
            raise chk.fail(["scoring", "sex_specific", j, "item"], f"{rule['item']!r} not scored")
    for j, link_id in enumerate(scored_ids):
        if link_id not in by_id:
            raise chk.fail(["scoring", "items", j], f"{link_id!r} is not an answerable item")
    for j, link_id in enumerate(scoring["reverse"]):
        if link_id not in scored_ids:
            raise chk.fail(["scoring", "reverse", j], f"{link_id!r} is not a scored item")
    # Scored items come first, in scoring order, so "position" means the same everywhere.
    order = [by_id[x] for x in scored_ids] + [it for it in items if not it.scored]
    items = [replace(it, number=n) for n, it in enumerate(order, start=1)]
    scored = tuple(it for it in items if it.scored)
    total_min = sum(it.min_value for it in scored)
    total_max = sum(it.max_value for it in scored)
    total = scoring["total"]
    if (total["min"], total["max"]) != (total_min, total_max):
        raise chk.fail(
            ["scoring", "total"],
            f"declared range {total['min']}-{total['max']} differs from the items' "
            f"range {total_min}-{total_max}",
        )
    missing = scoring["missing"]
    if missing["max_missing"] >= len(scored):
        raise chk.fail(["scoring", "missing", "max_missing"], "must be less than the item count")
    if missing["prorate"] is False and missing["max_missing"] > 0:
        raise chk.fail(["scoring", "missing", "prorate"], "max_missing > 0 requires prorate")
    bands = _bands(chk, scoring.get("bands", []), total_min, total_max)
    risk: list[RiskRule] = []
    for j, rule in enumerate(scoring["risk"]):
        if rule["item"] not in by_id:
            raise chk.fail(["scoring", "risk", j, "item"], f"{rule['item']!r} is not an item")
        it = by_id[rule["item"]]
        score_lo = min(it.item_score(it.min_value), it.item_score(it.max_value))
        score_hi = max(it.item_score(it.min_value), it.item_score(it.max_value))
        if not score_lo < rule["min"] <= score_hi:
            raise chk.fail(
                ["scoring", "risk", j, "min"], f"{rule['min']} is outside the item range"
            )
        risk.append(RiskRule(rule["item"], rule["min"], rule["label"], rule["source"]))
    subscales: list[Subscale] = []
    for j, sub in enumerate(scoring.get("subscales", [])):
        for k, link_id in enumerate(sub["items"]):
            if link_id not in scored_ids:
                raise chk.fail(
                    ["scoring", "subscales", j, "items", k], f"{link_id!r} is not scored"
                )
        subscales.append(Subscale(sub["id"], sub["label"], tuple(sub["items"])))
    lic = data["licence"]
    if not lic["text_included"] and any(it.text for it in items):
        raise chk.fail(["item"], "licence.text_included is false but items carry text")
    if lic["status"] in ("licensed", "unverified") and lic["text_included"]:
        raise chk.fail(["licence", "text_included"], "a licensed instrument ships no item text")
    if not lic["text_included"] and instructions:
        raise chk.fail(["item"], "licence.text_included is false but display items carry text")
    if instructions and "instructions_source" not in data:
        raise chk.fail(["instructions_source"], "the instructions need their source")
    recall = data.get("recall_period")
    code = _codings(data.get("code"))
    instrument = Instrument(
        id=data["id"],
        title=data["title"],
        version=data["version"],
        url=data["url"],
        code=code[0] if code else None,
        total_code=_codings([total["code"]])[0],
        copyright=data.get("copyright"),
        validated=data["validated"],
        items=tuple(items),
        scored_items=scored,
        total_min=total_min,
        total_max=total_max,
        missing=MissingRule(
            missing["max_missing"], missing["prorate"], missing["note"], missing["source"]
        ),
        bands=bands,
        cutoffs=tuple(
            Cutoff(c["id"], c["label"], c.get("min"), c.get("max"), c["source"])
            for c in scoring.get("cutoffs", [])
        ),
        risk=tuple(risk),
        subscales=tuple(subscales),
        transforms=tuple(
            Transform(t["id"], t["label"], float(t["multiply"]), t["source"])
            for t in scoring.get("transforms", [])
        ),
        change=_change(chk, data["change"]),
        licence=Licence(
            lic["status"],
            lic["text_included"],
            lic["holder"],
            lic["note"],
            lic["source"],
            lic.get("how_to_supply_text"),
            tuple(lic.get("requires", ())),
            lic.get("citation"),
        ),
        notes=tuple(scoring.get("notes", [])),
        instructions=tuple(instructions),
        recall=None
        if recall is None
        else RecallPeriod(int(recall["value"]), recall["unit"], str(recall["source"])),
        language=str(data.get("language", "en")),
        translations=data.get("translations", {}),
        source_file=filename,
        definition=data,
    )
    for language in instrument.translations:
        _check_translation(chk, instrument, language)
    return instrument


def _check_translation(chk: _Checker, instrument: Instrument, language: str) -> None:
    """A translation is complete (every instruction, item text and option label) and names
    only the definition's items and options; a licensed instrument ships none."""
    where = ["translations", language]
    if language == instrument.language:
        raise chk.fail(where, f"the definition's own language is {language!r}")
    if not instrument.licence.text_included:
        raise chk.fail(where, "an instrument that ships no text ships no translation")
    problem = translation_problem(instrument, instrument.translations[language])
    if problem is not None:
        raise chk.fail([*where, *problem[0]], problem[1])


def translation_problem(
    instrument: Instrument, texts: Mapping[str, Any]
) -> tuple[list[str | int], str] | None:
    """Why ``texts`` is not a complete translation of ``instrument`` (the path within the
    texts and the reason), or None when it is one: every instruction, every item's text and
    every option's label, none of them blank, and nothing the definition does not have.

    The one check for a shipped definition's ``translations`` block and for an official
    translation a clinic enters (``measures.actions.do_enter_instrument_text``).

    Examples
    --------
    >>> translation_problem(load_instrument("phq2"), {"items": {}})
    (['items'], "'phq2-1' has no text")
    """
    try:
        merge_texts(instrument, texts)
    except DefinitionError as error:
        message = str(error).split(": ", 1)[1]
        return [], message
    given = texts["items"]
    for it in instrument.items:
        entry = given.get(it.link_id)
        if not isinstance(entry, Mapping) or not str(entry.get("text") or "").strip():
            return ["items"], f"{it.link_id!r} has no text"
        labels = entry.get("options", {})
        for option in it.options:
            if not str(labels.get(option.code) or "").strip():
                return ["items", it.link_id, "options"], f"option {option.code!r} has no label"
    instructions = texts.get("instructions", ())
    if len(instructions) != len(instrument.instructions) or not all(
        str(text).strip() for text in instructions
    ):
        return ["instructions"], (
            f"{len(instrument.instructions)} instruction(s) to translate, "
            f"{sum(1 for text in instructions if str(text).strip())} given"
        )
    return None


def _bands(
    chk: _Checker, raw: Sequence[Mapping[str, Any]], total_min: int, total_max: int
) -> tuple[Band, ...]:
    """Bands must be in order, contiguous and cover exactly ``total_min..total_max``."""
    if not raw:
        return ()
    expected = total_min
    labels: set[str] = set()
    for j, b in enumerate(raw):
        if b["min"] != expected:
            raise chk.fail(
                ["scoring", "bands", j, "min"],
                f"{b['min']} leaves a gap or overlap; expected {expected}",
            )
        if b["max"] < b["min"]:
            raise chk.fail(["scoring", "bands", j, "max"], "max is below min")
        if b["label"] in labels:
            raise chk.fail(["scoring", "bands", j, "label"], f"duplicate label {b['label']!r}")
        labels.add(b["label"])
        expected = b["max"] + 1
    if expected - 1 != total_max:
        raise chk.fail(
            ["scoring", "bands", len(raw) - 1, "max"],
            f"bands end at {expected - 1}, not at {total_max}",
        )
    return tuple(
        Band(index=j, min=b["min"], max=b["max"], label=b["label"], alert=b["alert"])
        for j, b in enumerate(raw)
    )


def _change(chk: _Checker, raw: Mapping[str, Any]) -> ChangeParameters:
    def norm(key: str) -> Norm | None:
        n = raw.get(key)
        return None if n is None else Norm(n["mean"], n["sd"], n["population"], n["source"])

    functional, dysfunctional = norm("functional"), norm("dysfunctional")
    cutoff = raw.get("cutoff")
    needs = {"a": [dysfunctional], "b": [functional], "c": [functional, dysfunctional]}
    if cutoff in needs and any(n is None for n in needs[cutoff]):
        raise chk.fail(
            ["change", "cutoff"], f"cut-off {cutoff!r} needs the norms it is computed from"
        )
    if cutoff == "published" and "published_cutoff" not in raw:
        raise chk.fail(["change", "cutoff"], "a published cut-off needs change.published_cutoff")
    rci_sd = rci_sd_source = None
    if "rci_sd" in raw:
        src = raw.get(raw["rci_sd"])
        if src is None:
            raise chk.fail(["change", "rci_sd"], f"names {raw['rci_sd']!r}, which is not given")
        rci_sd, rci_sd_source = float(src["sd"]), str(src["source"])
    rel = raw.get("reliability") or {}
    pub_rci = raw.get("published_rci_points") or {}
    pub_cut = raw.get("published_cutoff") or {}
    mcid = raw.get("mcid") or {}
    resp = raw.get("response") or {}
    rem = raw.get("remission") or {}
    nhs = raw.get("nhs_talking_therapies") or {}
    return ChangeParameters(
        direction=raw["direction"],
        reliability=rel.get("value"),
        reliability_source=rel.get("source"),
        rci_sd=rci_sd,
        rci_sd_source=rci_sd_source,
        published_rci_points=pub_rci.get("value"),
        published_rci_source=pub_rci.get("source"),
        functional=functional,
        dysfunctional=dysfunctional,
        cutoff=cutoff,
        published_cutoff=pub_cut.get("value"),
        published_cutoff_source=pub_cut.get("source"),
        mcid=mcid.get("value"),
        mcid_source=mcid.get("source"),
        response_percent=resp.get("percent_reduction"),
        response_baseline_min=resp.get("baseline_min"),
        response_source=resp.get("source"),
        remission_below=rem.get("below"),
        remission_baseline_min=rem.get("baseline_min"),
        remission_source=rem.get("source"),
        nhs_tt_points=nhs.get("reliable_change_points"),
        nhs_tt_caseness=nhs.get("caseness"),
        nhs_tt_source=nhs.get("source"),
        notes=raw.get("notes"),
    )


def load_definition(path: str | Path) -> Instrument:
    """Load and validate one definition file.

    Raises
    ------
    DefinitionError
        If the file is not JSON or not a valid definition (message names file and path).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DefinitionError(f"{path.name}: (root): not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DefinitionError(f"{path.name}: (root): a definition is a JSON object")
    return parse_definition(data, path.name)


@cache
def _builtin(instrument_id: str) -> Instrument:
    path = DEFINITIONS_DIR / f"{instrument_id}.json"
    if not path.is_file():
        raise UnknownInstrumentError(f"unknown instrument {instrument_id!r}")
    return load_definition(path)


def instrument_ids() -> list[str]:
    """The ids of the built-in instruments, sorted."""
    return sorted(p.stem for p in DEFINITIONS_DIR.glob("*.json"))


def load_instrument(
    instrument: str | Path, *, texts: str | Path | Mapping[str, Any] | None = None
) -> Instrument:
    """A built-in instrument by id (``"phq9"``), or a definition file by path.

    Parameters
    ----------
    instrument : str or Path
        A built-in id, or the path of a clinic's own definition file.
    texts : path or mapping, optional
        Clinic-supplied item texts for a licensed instrument, merged by linkId
        (see :func:`merge_texts`).

    Raises
    ------
    UnknownInstrumentError
        If no built-in instrument has this id.
    DefinitionError
        If the definition (or the texts file) is malformed.
    """
    if isinstance(instrument, Path) or str(instrument).endswith(".json"):
        loaded = load_definition(instrument)
    else:
        loaded = _builtin(str(instrument))
    return loaded if texts is None else merge_texts(loaded, texts)


def all_instruments(extra_dirs: Iterable[str | Path] = ()) -> dict[str, Instrument]:
    """Every built-in instrument, plus the definitions in ``extra_dirs`` (a clinic's own).

    A clinic definition with the id of a built-in one replaces it.
    """
    out = {i: _builtin(i) for i in instrument_ids()}
    for directory in extra_dirs:
        for path in sorted(Path(directory).glob("*.json")):
            inst = load_definition(path)
            out[inst.id] = inst
    return out


def in_language(instrument: Instrument, language: str) -> Instrument:
    """``instrument`` with its texts in ``language``, from the definition's official
    translation; unchanged when it has none (it is then given in its own language, and the
    page says so). Scoring never changes: a translation holds texts only.

    Examples
    --------
    >>> in_language(load_instrument("phq9"), "es").item("phq9-1").text
    'Poco interés o placer en hacer cosas'
    >>> in_language(load_instrument("phq15"), "es").language
    'en'
    """
    translation = instrument.translations.get(language)
    if translation is None or language == instrument.language:
        return instrument
    merged = merge_texts(instrument, translation)
    citation = translation.get("citation", instrument.licence.citation)
    return replace(
        merged,
        title=translation.get("title", instrument.title),
        language=language,
        licence=replace(instrument.licence, citation=citation),
    )


def merge_texts(instrument: Instrument, texts: str | Path | Mapping[str, Any]) -> Instrument:
    """Merge clinic-supplied item (and option) texts into a scoring-only definition.

    ``texts`` is a mapping or a JSON file shaped
    ``{"instructions": ["..."], "items": {"epds-1": {"text": "...", "options": {"a": "..."}}}}``
    (``instructions``, the authors' instructions shown above the items, is optional). Texts
    never change scoring: unknown linkIds or option codes are rejected rather than ignored.

    Raises
    ------
    DefinitionError
        If the texts name an item or option the instrument does not have.
    """
    name = "<texts>"
    if not isinstance(texts, Mapping):
        name = Path(texts).name
        texts = cast(Mapping[str, Any], json.loads(Path(texts).read_text(encoding="utf-8")))
    given = texts.get("items")
    if not isinstance(given, Mapping):
        raise DefinitionError(f"{name}: items: expected an object keyed by linkId")
    by_id = {it.link_id: it for it in instrument.items}
    new_items = []
    for link_id in given:
        if link_id not in by_id:
            raise DefinitionError(f"{name}: items.{link_id}: not an item of {instrument.id}")
    for it in instrument.items:
        entry = given.get(it.link_id)
        if entry is None:
            new_items.append(it)
            continue
        option_texts = entry.get("options", {})
        codes = {o.code for o in it.options}
        for code in option_texts:
            if code not in codes:
                raise DefinitionError(f"{name}: items.{it.link_id}.options.{code}: unknown option")
        options = tuple(replace(o, display=option_texts.get(o.code, o.display)) for o in it.options)
        new_items.append(replace(it, text=entry.get("text", it.text), options=options))
    items = tuple(new_items)
    instructions = texts.get("instructions", list(instrument.instructions))
    if not isinstance(instructions, list) or not all(isinstance(t, str) for t in instructions):
        raise DefinitionError(f"{name}: instructions: expected a list of texts")
    return replace(
        instrument,
        items=items,
        scored_items=tuple(it for it in items if it.scored),
        instructions=tuple(instructions),
    )
