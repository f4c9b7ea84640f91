from __future__ import annotations

from typing import Any

from django import forms

from touchstone.evidence.models import Measure, Study
from touchstone.evidence.synthesis import PRACTICE_INSTRUMENTS
from touchstone.science.meta.compat import check_poolable
from touchstone.science.meta.effects import smd

STUDY_FIELDS = [
    "citation", "doi", "year", "domain", "design", "population", "n", "outcome", "result",
    "measure", "effect_domain", "scale", "effect_design", "yi", "vi", "effect_note",
    "extraction_note", "source",
]  # fmt: skip
GROUP_FIELDS = ("m1", "sd1", "n1", "m2", "sd2", "n2")


class StudyForm(forms.ModelForm):
    """A published study. The effect is either ``yi``/``vi`` as reported, or (for SMD) the
    two groups' means, SDs and sizes, from which Hedges' g is computed as metafor's
    ``escalc("SMD")`` does."""

    m1 = forms.FloatField(label="Massage group: mean", required=False)
    sd1 = forms.FloatField(label="Massage group: SD", required=False, min_value=0)
    n1 = forms.IntegerField(label="Massage group: size", required=False, min_value=2)
    m2 = forms.FloatField(label="Comparison group: mean", required=False)
    sd2 = forms.FloatField(label="Comparison group: SD", required=False, min_value=0)
    n2 = forms.IntegerField(label="Comparison group: size", required=False, min_value=2)
    critique = forms.CharField(
        label="Critique or caveat (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Study
        fields = STUDY_FIELDS
        widgets: dict[str, Any] = {
            "citation": forms.Textarea(attrs={"rows": 2}),
            "result": forms.Textarea(attrs={"rows": 3}),
            "effect_note": forms.Textarea(attrs={"rows": 2}),
            "extraction_note": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts: dict[str, str] = {
            "doi": "e.g. 10.1037/0033-2909.130.1.3",
            "yi": "As reported (positive = favours massage for SMD), or leave empty and give "
            "the group summaries below.",
            "vi": "The squared standard error.",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        groups = [data.get(name) for name in GROUP_FIELDS]
        if any(v is not None for v in groups):
            if not all(v is not None for v in groups):
                self.add_error("m1", "Give all six group summaries, or none.")
            elif data.get("yi") is not None or data.get("vi") is not None:
                self.add_error("yi", "Give either the effect size or the group summaries.")
            elif data.get("measure") != Measure.SMD:
                self.add_error("measure", "Group summaries give a standardized mean difference.")
            elif not (data["sd1"] > 0 and data["sd2"] > 0):
                self.add_error("sd1", "Standard deviations must be positive.")
            else:
                m1, sd1, n1, m2, sd2, n2 = (float(v) for v in groups if v is not None)
                es = smd([m1], [sd1], [n1], [m2], [sd2], [n2])
                data["yi"], data["vi"] = float(es.yi[0]), float(es.vi[0])
                self.instance.effect_derived = True
        return data

    def study_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in STUDY_FIELDS}
        for name in (
            "doi", "population", "measure", "effect_domain", "scale", "effect_design",
            "effect_note", "extraction_note", "source",
        ):  # fmt: skip
            data[name] = data[name] or ""
        data["effect_derived"] = self.instance.effect_derived
        critique = (self.cleaned_data.get("critique") or "").strip()
        data["critiques"] = [{"by": "authors", "text": critique}] if critique else []
        return data


METHODS = [
    ("REML", "Random effects, REML"),
    ("DL", "Random effects, DerSimonian-Laird"),
    ("PM", "Random effects, Paule-Mandel"),
    ("FE", "Fixed (common) effect"),
]
TESTS = [("z", "Normal (z)"), ("knha", "Hartung-Knapp-Sidik-Jonkman (t)")]
CLINIC_INSTRUMENTS = [
    ("", "No"),
    ("phq9", "Yes: PHQ-9 pre-post (depression)"),
    ("gad7", "Yes: GAD-7 pre-post (anxiety)"),
]


class SynthesisForm(forms.Form):
    studies = forms.MultipleChoiceField(
        label="Studies", widget=forms.CheckboxSelectMultiple, required=False
    )
    measure = forms.ChoiceField(label="Measure", choices=Measure.choices, initial="SMD")
    method = forms.ChoiceField(label="Model", choices=METHODS, initial="REML")
    test = forms.ChoiceField(label="Test and intervals", choices=TESTS, initial="z")
    clinic = forms.ChoiceField(
        label="Show this clinic's practice-based estimate beside the pooled one (SMD only; "
        "never pooled)",
        choices=CLINIC_INSTRUMENTS,
        required=False,
    )
    title = forms.CharField(label="Title (to save)", max_length=150, required=False)

    def __init__(self, *args: Any, studies: list[Study], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.study_rows = {s.key: s for s in studies if s.poolable}
        self.fields["studies"].choices = [  # type: ignore[attr-defined]
            (
                s.key,
                f"{s.label} — {s.get_effect_domain_display()}, {s.scale}, "
                f"{s.get_effect_design_display().lower()}, {s.measure} {s.yi:.2f}",
            )
            for s in self.study_rows.values()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        measure = data.get("measure")
        chosen = [self.study_rows[key] for key in data.get("studies", [])]
        wrong = [s.label for s in chosen if s.measure != measure]
        if wrong:
            self.add_error("studies", f"Not on the {measure} scale: {', '.join(wrong)}.")
        if data.get("clinic") and measure != Measure.SMD:
            self.add_error("clinic", "The clinic's estimate is a standardized mean change (SMD).")
        if len(chosen) < 2:
            self.add_error(
                "studies",
                "Choose at least two studies: the clinic's own estimate is shown beside the "
                "pooled estimate, never pooled.",
            )
        elif not wrong:
            verdict = check_poolable([s.as_poolable() for s in chosen])
            if not verdict.ok:
                self.add_error("studies", verdict.message)
            elif data.get("clinic") in PRACTICE_INSTRUMENTS:
                practice_domain = PRACTICE_INSTRUMENTS[data["clinic"]][0]
                if chosen[0].effect_domain != practice_domain:
                    self.add_error(
                        "clinic",
                        f"The clinic's {data['clinic'].upper()} estimate measures "
                        f"{practice_domain}; the chosen studies measure "
                        f"{chosen[0].effect_domain}.",
                    )
        data["chosen"] = chosen
        return data
