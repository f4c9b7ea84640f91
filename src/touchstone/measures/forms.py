from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext as _

from touchstone.accounts.models import Clinic
from touchstone.clients.models import language_choices
from touchstone.measures import instruments
from touchstone.measures.models import Mode
from touchstone.science.instruments import Instrument, Item


class StartForm(forms.Form):
    instrument_id = forms.ChoiceField(label="Questionnaire")
    mode = forms.ChoiceField(
        choices=[
            (Mode.CLINIC, "Staff reads and enters the answers"),
            (Mode.TABLET, "Hand the tablet to the client"),
        ],
        widget=forms.RadioSelect,
        initial=Mode.TABLET,
    )

    def __init__(
        self, *args: Any, clinic: Clinic, initial_instrument: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = instruments.choices(clinic)
        self.fields["instrument_id"].choices = choices  # type: ignore[attr-defined]
        if initial_instrument in {value for value, _ in choices}:
            self.fields["instrument_id"].initial = initial_instrument


def _item_field(item: Item) -> forms.Field:
    # An item without text (a custom questionnaire's) is named by its number, in the
    # language of the page: the client may read it.
    label = item.text or _("Item %(number)s") % {"number": item.number}
    if item.options:
        return forms.TypedChoiceField(
            label=label,
            required=False,
            coerce=int,
            empty_value=None,
            choices=[(o.value, o.display or str(o.value)) for o in item.options],
            widget=forms.RadioSelect,
        )
    return forms.TypedChoiceField(
        label=label,
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(v, str(v)) for v in range(item.min_value, item.max_value + 1)],
        widget=forms.RadioSelect(attrs={"class": "scale"}),
    )


class AnswersForm(forms.Form):
    """One radio group per item. Every answer is optional here: a partial save is kept as
    in progress, and the engine decides whether the total is computable. An item that does
    not apply to the client's sex assigned at birth (PHQ-15 item 4 for a man) is not asked."""

    def __init__(
        self, definition: Instrument, *args: Any, sex: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.definition = definition
        for item in definition.items:
            if item.applies(sex) is not False:
                self.fields[item.link_id] = _item_field(item)

    def answers(self) -> dict[str, int | None]:
        return {link_id: self.cleaned_data.get(link_id) for link_id in self.fields}


class CloseAlertForm(forms.Form):
    action_taken = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "What was done: same-day risk assessment, safety plan, referral, "
            "contact with prescriber…"
        ),
    )


def texts_template(definition: Instrument, current: Any = None) -> str:
    """The JSON an owner fills in: every instruction, item and option of ``definition``, with
    the clinic's current text where there is one (blank otherwise)."""
    if current is not None:
        return json.dumps(current.texts, indent=2, ensure_ascii=False)
    body = {
        "instructions": [""] * (len(definition.instructions) or 1),
        "items": {
            it.link_id: {"text": "", "options": {o.code: "" for o in it.options}}
            for it in definition.items
        },
    }
    return json.dumps(body, indent=2, ensure_ascii=False)


class InstrumentTextForm(forms.Form):
    """The licensed text of one instrument, typed or uploaded, with the owner's attestation; or,
    for an instrument shipped with its text, the publisher's official translation into a
    language Touchstone ships none in, with its source."""

    texts = forms.CharField(
        label="Texts (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false"}),
        help_text="Instructions, then each item's text and its options' labels, keyed by linkId "
        "and option code, exactly as printed in the licensed version.",
    )
    upload = forms.FileField(
        label="…or upload the JSON file",
        required=False,
        help_text="The texts as above, or a FHIR Questionnaire (JSON) holding the licensed "
        "text: its items are matched by linkId or code and its options by code.",
    )
    language = forms.ChoiceField(
        label="Language of this text",
        choices=language_choices,
        initial="en",
        required=False,
        help_text="A licensed translation is entered as one more text in its language; "
        "clients who prefer that language are given it.",
    )
    licence_reference = forms.CharField(
        max_length=200,
        help_text="The licence or written permission the clinic holds (number, date, holder).",
    )
    attest = forms.BooleanField(
        label="I attest that this clinic holds a licence for this text, and that the text is "
        "the licensed version, unchanged."
    )

    def __init__(self, *args: Any, definition: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not instruments.ships_text(definition):
            return
        # A free instrument: only an official translation, into a language not shipped.
        offered = instruments.enterable_languages(definition)
        language = self.fields["language"]
        language.choices = offered  # type: ignore[attr-defined]
        language.initial = offered[0][0] if offered else None
        language.required = True
        language.label = "Language of this official translation"
        language.help_text = (
            "Clients who prefer this language are given this translation; the scoring stays "
            "the shipped one."
        )
        self.fields["texts"].help_text = (
            "Instructions, then each item's text and its options' labels, keyed by linkId and "
            "option code, exactly as printed in the publisher's official translation: every "
            "one is needed."
        )
        self.fields["licence_reference"].label = "Source"
        self.fields["licence_reference"].help_text = (
            "The publisher's form and where it was obtained, e.g. “Pfizer PHQ-15, Spanish for "
            "the USA, phqscreeners.com”."
        )
        self.fields["attest"].label = (
            "I attest that this text is the publisher's official translation, unchanged (not a "
            "machine or home-made translation)."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("upload")
        raw = upload.read().decode("utf-8", errors="replace") if upload else data.get("texts", "")
        if not raw.strip():
            raise forms.ValidationError("Enter the texts or upload the file.")
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"Not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}."
            ) from None
        if not isinstance(parsed, dict):
            raise forms.ValidationError("The texts are one JSON object.")
        data["parsed"] = parsed
        return data


class DefinitionForm(forms.Form):
    """A clinic's own questionnaire: a FHIR Questionnaire plus scoring block (JSON)."""

    definition = forms.CharField(
        label="Definition (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false"}),
        help_text="The format of the questionnaires Touchstone ships, checked by the same "
        'rules; "validated": false and licence status "own".',
    )
    upload = forms.FileField(label="…or upload the JSON file", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("upload")
        raw = (
            upload.read().decode("utf-8", errors="replace")
            if upload
            else data.get("definition", "")
        )
        if not raw.strip():
            raise forms.ValidationError("Paste the definition or upload the file.")
        try:
            data["parsed"] = json.loads(raw)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"Not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}."
            ) from None
        return data
