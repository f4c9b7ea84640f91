"""A clinic's licensed instrument texts and its own questionnaires."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from touchstone.accounts.access import ClinicOwned
from touchstone.accounts.models import StaffMember


class InstrumentText(ClinicOwned):
    """A clinic's licensed text of a shipped instrument whose text Touchstone may not ship
    (EPDS, ISI, PSS-10, MRS, WAI-SR): entered once by an owner, with an attestation of the
    licence (who, when, which licence), after which the instrument is given like the free ones.

    Rows are never edited: a corrected or renewed text is the next ``version``, and every
    administration keeps the version it showed (``Administration.text``). ``texts`` holds item,
    option and instruction texts keyed by linkId (the shape of
    :func:`touchstone.science.instruments.merge_texts`), so the scoring block never changes with
    the text. ``language`` keys the text: a licensed translation is one more row.
    """

    instrument_id = models.CharField(max_length=40)
    language = models.CharField(max_length=20, default="en")
    version = models.PositiveIntegerField()
    texts = models.JSONField(help_text="instructions, and item/option texts keyed by linkId")
    licence_reference = models.CharField(
        max_length=200, help_text="The licence or permission: its number, date or holder."
    )
    attested_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    attested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["instrument_id", "language", "-version"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["clinic", "instrument_id", "language", "version"],
                name="one_text_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} text v{self.version} ({self.language})"


class CustomStatus(models.TextChoices):
    DRAFT = "draft", "Draft (preview and test-scoring only)"
    LIVE = "live", "Live (can be given)"


class CustomInstrument(ClinicOwned):
    """A clinic's own questionnaire: a FHIR Questionnaire plus scoring block in the format of
    the shipped definitions, validated against the same JSON Schema. Never validated: its
    scores are marked "not validated" wherever they appear.

    ``instrument_id`` is the clinic's id prefixed with ``c<clinic id>-``, unique across clinics,
    so an administration names it the way it names a shipped instrument. A draft may be
    replaced; a live definition never changes (its administrations were scored by it).
    """

    instrument_id = models.CharField(max_length=40, unique=True)
    definition = models.JSONField()
    status = models.CharField(
        max_length=10, choices=CustomStatus.choices, default=CustomStatus.DRAFT
    )
    created_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["instrument_id"]

    def __str__(self) -> str:
        return self.instrument_id

    @property
    def is_live(self) -> bool:
        return self.status == CustomStatus.LIVE
