from __future__ import annotations

from typing import Any

from django import forms

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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument_id"].choices = instruments.choices()  # type: ignore[attr-defined]


def _item_field(item: Item) -> forms.Field:
    label = item.text or f"Item {item.number}"
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
