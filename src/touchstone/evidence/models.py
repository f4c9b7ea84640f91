"""The evidence library: published studies (shipped or added by the owner) and saved syntheses.

Each clinic has its own copy of the library (``ClinicOwned``), seeded on first use from the
shipped ``data/studies.json`` (``evidence.library.ensure_library``), so an owner's additions
and syntheses stay inside the clinic like every other row.
"""

from __future__ import annotations

import math
import re
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from touchstone.accounts.access import ClinicOwned
from touchstone.accounts.models import StaffMember
from touchstone.science.meta.compat import RAW_UNIT_MEASURES, VARIOUS, PoolableEffect, same_scale

#: A DOI: "10." + registrant code (4-9 digits) + "/" + suffix (Crossref's recommended pattern,
#: https://www.crossref.org/blog/dois-and-matching-regular-expressions/); the same rule as
#: ``science.meta.library``.
DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")


class Domain(models.TextChoices):
    DEPRESSION = "depression", "Depression"
    ANXIETY = "anxiety", "Anxiety"
    CORTISOL = "cortisol", "Cortisol"
    SLEEP = "sleep", "Sleep"
    COST = "cost", "Cost"


class EffectDesign(models.TextChoices):
    """What the effect compares (``science.meta.compat.DESIGNS``): never pooled across."""

    CONTROLLED = "controlled", "Controlled between-group effect"
    PRE_POST = "pre_post", "Uncontrolled pre-post change"
    META_SUMMARY = "meta_summary", "Meta-analytic summary"


class Measure(models.TextChoices):
    SMD = "SMD", "Standardized mean difference (Hedges' g)"
    MD = "MD", "Mean difference"
    RR = "RR", "Log risk ratio"
    OR = "OR", "Log odds ratio"


class Study(ClinicOwned):
    """One published study with its citation, design, result, poolable effect and critiques.

    ``unverified`` lists fields the source notes mark UNVERIFIED (shown as such); critiques
    are ``[{"by": study key or "authors"/"evidence_note", "text": ...}]``.
    """

    key = models.SlugField(max_length=60)
    shipped = models.BooleanField(default=False)
    citation = models.TextField()
    doi = models.CharField("DOI", max_length=120, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    domain = models.CharField(max_length=12, choices=Domain.choices)
    design = models.CharField(max_length=300)
    population = models.CharField(max_length=300, blank=True)
    n = models.PositiveIntegerField("Participants", null=True, blank=True)
    outcome = models.CharField(max_length=300)
    result = models.TextField()
    measure = models.CharField(max_length=3, choices=Measure.choices, blank=True)
    effect_domain = models.CharField(
        "Effect's outcome domain", max_length=12, choices=Domain.choices, blank=True
    )
    scale = models.CharField(
        "Instrument or scale",
        max_length=80,
        blank=True,
        help_text='e.g. HAM-A, BDI, STAI-T, PSQI, salivary cortisol nmol/L; "various" for an '
        "SMD summary over several instruments",
    )
    effect_design = models.CharField(
        "Effect design", max_length=12, choices=EffectDesign.choices, blank=True
    )
    yi = models.FloatField("Effect size", null=True, blank=True)
    vi = models.FloatField("Sampling variance", null=True, blank=True)
    effect_derived = models.BooleanField(default=False)
    effect_note = models.TextField(blank=True)
    extraction_note = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True)
    unverified = models.JSONField(default=list, blank=True)
    critiques = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["domain", "-year", "key"]
        verbose_name_plural = "studies"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic", "key"], name="one_study_key_per_clinic")
        ]

    def __str__(self) -> str:
        return f"{self.label}"

    @property
    def label(self) -> str:
        """Short label for plots and tables, e.g. "Hou 2010"."""
        match = re.match(r"[a-z]+", self.key or "")
        first = match.group(0).title() if match else self.citation.split(" ", 1)[0].rstrip(",")
        return f"{first} {self.year}" if self.year else first

    @property
    def poolable(self) -> bool:
        """Has an effect with everything the compatibility rules need."""
        return (
            bool(self.measure and self.effect_domain and self.scale and self.effect_design)
            and self.yi is not None
            and self.vi is not None
        )

    def as_poolable(self) -> PoolableEffect:
        """The effect as ``science.meta.compat`` sees it."""
        return PoolableEffect(
            label=self.label,
            domain=self.effect_domain,
            scale=self.scale,
            design=self.effect_design,
            measure=self.measure,
            study=self.key,
        )

    def is_unverified(self, field: str) -> bool:
        return field in (self.unverified or [])

    def clean(self) -> None:
        errors: dict[str, str] = {}
        self.doi = (self.doi or "").strip()
        if self.doi.lower().startswith(("https://doi.org/", "http://doi.org/", "doi:")):
            self.doi = self.doi.split("doi.org/", 1)[-1].removeprefix("doi:").strip()
        if self.doi and not DOI_PATTERN.match(self.doi):
            errors["doi"] = "Give a DOI such as 10.1037/0033-2909.130.1.3."
        this_year = timezone.localdate().year
        if self.year is not None and not 1900 <= self.year <= this_year:
            errors["year"] = f"Give a year from 1900 to {this_year}."
        if self.n is not None and self.n < 1:
            errors["n"] = "The number of participants must be at least 1."
        has_effect = self.yi is not None or self.vi is not None
        if has_effect:
            if self.yi is None or not math.isfinite(self.yi):
                errors["yi"] = "Give the effect size with its variance."
            if self.vi is None or not math.isfinite(self.vi) or self.vi <= 0:
                errors["vi"] = "The sampling variance must be a positive number."
            if not self.measure:
                errors["measure"] = "Say which measure the effect size is on."
            errors.update(self._effect_tag_errors())
        elif self.measure:
            errors["yi"] = "Give the effect size and its variance, or no measure."
        if errors:
            raise ValidationError(errors)

    def _effect_tag_errors(self) -> dict[str, str]:
        """An effect must say what it measured, on which scale, from which design, so that
        ``science.meta.compat`` can refuse to pool it with what it cannot be combined with."""
        errors: dict[str, str] = {}
        self.scale = " ".join((self.scale or "").split())
        if not self.effect_domain:
            errors["effect_domain"] = "Say which outcome domain the effect measures."
        elif self.effect_domain == Domain.COST:
            errors["effect_domain"] = "Cost is not an outcome an effect size is pooled on."
        if not self.scale:
            errors["scale"] = 'Name the instrument or scale (e.g. HAM-A), or "various".'
        elif self.measure in RAW_UNIT_MEASURES and same_scale(self.scale, VARIOUS):
            errors["scale"] = "A mean difference is in one instrument's points: name it."
        if not self.effect_design:
            errors["effect_design"] = "Say whether the effect is controlled, pre-post or a summary."
        return errors


class Synthesis(ClinicOwned):
    """A saved meta-analysis: which studies, which options, and the result."""

    title = models.CharField(max_length=150)
    study_keys = models.JSONField(default=list)
    options = models.JSONField(default=dict)
    result = models.JSONField(default=dict)
    rows = models.JSONField(default=list, help_text="The pooled rows: label, yi, vi, kind")
    created_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        verbose_name_plural = "syntheses"

    def __str__(self) -> str:
        return self.title
