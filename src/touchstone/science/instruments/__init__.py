"""Validated questionnaires as data, exact scoring, risk items, FHIR import and export.

The public API, for the web layer and the command line::

    from touchstone.science.instruments import load_instrument, score, score_batch, change

    phq9 = load_instrument("phq9")
    result = score(phq9, [2, 2, 2, 2, 1, 1, 2, 0, 0])   # ScoreResult, .to_dict() for JSON
    delta = change(phq9, pre=18, post=6)                # ChangeResult

Definitions live in ``definitions/<id>.json`` (format: ``docs/instruments.md``).
"""

from touchstone.science.change import ChangeResult, change
from touchstone.science.instruments.batch import BatchResult, score_batch
from touchstone.science.instruments.fhir import (
    QuestionnaireImportError,
    import_questionnaire,
    score_response,
    texts_from_questionnaire,
    to_fhir_questionnaire,
    to_questionnaire_response,
)
from touchstone.science.instruments.loader import (
    DefinitionError,
    UnknownInstrumentError,
    all_instruments,
    in_language,
    instrument_ids,
    load_definition,
    load_instrument,
    merge_texts,
    parse_definition,
    translation_problem,
)
from touchstone.science.instruments.model import Band, Instrument, Item, RiskRule
from touchstone.science.instruments.scoring import AnswerError, ScoreResult, score

__all__ = [
    "AnswerError",
    "Band",
    "BatchResult",
    "ChangeResult",
    "DefinitionError",
    "Instrument",
    "Item",
    "QuestionnaireImportError",
    "RiskRule",
    "ScoreResult",
    "UnknownInstrumentError",
    "all_instruments",
    "change",
    "import_questionnaire",
    "in_language",
    "instrument_ids",
    "load_definition",
    "load_instrument",
    "merge_texts",
    "parse_definition",
    "score",
    "score_batch",
    "score_response",
    "texts_from_questionnaire",
    "to_fhir_questionnaire",
    "to_questionnaire_response",
    "translation_problem",
]
