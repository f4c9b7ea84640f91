"""Clients: the people receiving care."""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

from django.conf import global_settings, settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from touchstone.accounts.access import ClinicOwned, ClinicOwnedQuerySet
from touchstone.lib.phones import phone_e164

OLDEST_PLAUSIBLE_AGE_YEARS = 120
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,25}$")


class MessageChannel(models.TextChoices):
    """How the client wants reminders and questionnaire links (never clinical content)."""

    EMAIL = "email", "E-mail"
    SMS = "sms", "Text message (SMS)"


class ClientQuerySet(ClinicOwnedQuerySet["Client"]):
    def active(self) -> ClientQuerySet:
        return self.filter(archived_at__isnull=True)

    def archived(self) -> ClientQuerySet:
        return self.filter(archived_at__isnull=False)

    def search(self, text: str) -> ClientQuerySet:
        qs = self
        for word in text.split():
            qs = qs.filter(
                models.Q(given_name__icontains=word)
                | models.Q(family_name__icontains=word)
                | models.Q(preferred_name__icontains=word)
                | models.Q(email__icontains=word)
                | models.Q(phone__icontains=word)
            )
        return qs


class SexAtBirth(models.TextChoices):
    """Sex assigned at birth, as FHIR AdministrativeGender codes (Patient.gender, R4
    hl7.org/fhir/R4/valueset-administrative-gender.html). Scored instruments read it (PHQ-15
    item 4); docs/architecture.md "Clients" says how it is exported."""

    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Another sex (e.g. intersex)"
    UNKNOWN = "unknown", "Unknown"


class GenderIdentity(models.TextChoices):
    """The HL7 Gender Identity value set (terminology.hl7.org/ValueSet/gender-identity 2.0.0:
    SNOMED CT female, male and non-binary gender identity, "asked but declined", unknown),
    plus another identity in the client's own words (the value set is a minimum one, which
    "communities will" extend)."""

    FEMALE = "female", "Woman or girl"
    MALE = "male", "Man or boy"
    NON_BINARY = "non-binary", "Non-binary"
    OTHER = "other", "Another identity (in the client's words)"
    ASKED_DECLINED = "asked-declined", "Asked, declined to answer"
    UNKNOWN = "unknown", "Unknown"


class Pronouns(models.TextChoices):
    """The HL7 Personal Pronouns value set (terminology.hl7.org/ValueSet/pronouns: LOINC
    LA29518-0, LA29519-8, LA29520-6), plus others in the client's words."""

    HE = "he", "he/him/his"
    SHE = "she", "she/her/hers"
    THEY = "they", "they/them/theirs"
    OTHER = "other", "Other (in the client's words)"


class PregnancyStatus(models.TextChoices):
    """Pregnancy status (IPS / US Core pregnancy status: pregnant, not pregnant, unknown),
    with postpartum kept apart because the perinatal measures (EPDS) depend on it."""

    NOT_PREGNANT = "not_pregnant", "Not pregnant"
    PREGNANT = "pregnant", "Pregnant"
    POSTPARTUM = "postpartum", "Postpartum (gave birth)"
    UNKNOWN = "unknown", "Unknown"


class MenopauseStatus(models.TextChoices):
    PRE = "pre", "Premenopausal"
    PERI = "peri", "Perimenopausal"
    POST = "post", "Postmenopausal"
    UNKNOWN = "unknown", "Unknown"


#: The languages when the project sets no ``LANGUAGES`` (the translation framework sets it).
DEFAULT_LANGUAGES = (("en", "English"), ("es", "Español"))


def language_choices() -> list[tuple[str, str]]:
    """The languages a client's pages and questionnaires can be in: ``settings.LANGUAGES`` when
    the project sets it, else English and Spanish. A callable, so that adding a language to the
    settings needs no migration (Django 5 ``choices`` may be callable)."""
    if settings.LANGUAGES != global_settings.LANGUAGES:  # set by the project
        return [(code, str(name)) for code, name in settings.LANGUAGES]
    return list(DEFAULT_LANGUAGES)


def language_codes() -> list[str]:
    return [code for code, _ in language_choices()]


#: Postpartum until this many weeks after delivery: the perinatal period of the EPDS pathway
#: (a Touchstone design choice; a later date is shown as "review the status").
POSTPARTUM_WEEKS = 52


class Client(ClinicOwned):
    """A person receiving care at a clinic. Archived, never deleted; every edit is kept."""

    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=12, blank=True)
    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_phone = models.CharField(max_length=30, blank=True)
    emergency_contact_relation = models.CharField(max_length=60, blank=True)
    consent_to_treatment = models.BooleanField(default=False)
    consent_to_treatment_on = models.DateField(null=True, blank=True)
    research_consent = models.BooleanField(
        default=False, help_text="Agrees that de-identified data may be used for research."
    )
    research_consent_on = models.DateField(null=True, blank=True)
    # What the measures need (issue 10 §6): each optional ("" = not recorded), versioned
    # like every field (history below).
    sex_at_birth = models.CharField(
        "Sex assigned at birth",
        max_length=10,
        choices=SexAtBirth.choices,
        blank=True,
        help_text="Decides which questionnaire items apply (PHQ-15 item 4: women only).",
    )
    gender_identity = models.CharField(max_length=20, choices=GenderIdentity.choices, blank=True)
    gender_identity_other = models.CharField(
        "Gender identity, in the client's words", max_length=60, blank=True
    )
    pronouns = models.CharField(max_length=10, choices=Pronouns.choices, blank=True)
    pronouns_other = models.CharField("Pronouns, in the client's words", max_length=40, blank=True)
    pregnancy_status = models.CharField(
        "Pregnancy or postpartum status",
        max_length=15,
        choices=PregnancyStatus.choices,
        blank=True,
    )
    delivery_date = models.DateField(
        null=True, blank=True, help_text="The day of birth of the baby, when postpartum."
    )
    menopause_status = models.CharField(max_length=10, choices=MenopauseStatus.choices, blank=True)
    message_channel = models.CharField(
        "messages by",
        max_length=10,
        choices=MessageChannel.choices,
        default=MessageChannel.EMAIL,
        help_text="Reminders and questionnaire links go this way.",
    )
    preferred_language = models.CharField(
        max_length=8,
        choices=language_choices,
        default="en",
        help_text="The client's pages, messages and questionnaires use it (an instrument "
        "without an official translation stays in English, and says so).",
    )
    messages_opt_out = models.BooleanField(
        "no messages",
        default=False,
        help_text="The client asked for no reminders or links by e-mail or text.",
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ClientQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering: ClassVar = ["family_name", "given_name", "id"]
        indexes: ClassVar = [
            models.Index(fields=["clinic", "family_name", "given_name"]),
            # Counting a clinic's active clients (home page, client list, API): the index
            # alone answers it, without reading 10,000 wide rows.
            models.Index(fields=["clinic", "archived_at"], name="client_active"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return self.name_of(self.given_name, self.preferred_name, self.family_name)

    @staticmethod
    def name_of(given_name: str, preferred_name: str, family_name: str) -> str:
        """The name staff see, from the three fields (pages that read plain rows, not models:
        the calendar)."""
        return f"{preferred_name or given_name} {family_name}"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def pronouns_text(self) -> str:
        """The client's pronouns as shown to staff ("she/her/hers"), "" if not recorded."""
        if self.pronouns == Pronouns.OTHER:
            return self.pronouns_other
        return self.get_pronouns_display() if self.pronouns else ""

    @property
    def gender_identity_text(self) -> str:
        if self.gender_identity == GenderIdentity.OTHER and self.gender_identity_other:
            return self.gender_identity_other
        return self.get_gender_identity_display() if self.gender_identity else ""

    @property
    def scoring_sex(self) -> str | None:
        """The sex the instrument scorer takes (``None`` when not recorded)."""
        return self.sex_at_birth or None

    @property
    def pregnancy_text(self) -> str:
        """ "Postpartum: delivered 2026-01-02, 8 weeks ago", "Pregnant", "" if not recorded."""
        weeks = self.weeks_postpartum(timezone.localdate())
        if weeks is None or self.delivery_date is None:
            return self.get_pregnancy_status_display() if self.pregnancy_status else ""
        plural = "" if weeks == 1 else "s"
        text = f"Postpartum: delivered {self.delivery_date.isoformat()}, {weeks} week{plural} ago"
        if weeks > POSTPARTUM_WEEKS:
            text += " (more than a year: review the status)"
        return text

    @property
    def life_stage_text(self) -> str:
        """Postpartum and menopause status in one line, for the questionnaire pages (the
        perinatal and menopause measures depend on them); "" when neither applies."""
        parts = []
        if self.pregnancy_status in (PregnancyStatus.PREGNANT, PregnancyStatus.POSTPARTUM):
            parts.append(self.pregnancy_text)
        if self.menopause_status in (MenopauseStatus.PERI, MenopauseStatus.POST):
            parts.append(self.get_menopause_status_display())
        return "; ".join(parts)

    def weeks_postpartum(self, day: dt.date) -> int | None:
        """Whole weeks from delivery to ``day`` when postpartum, else ``None``."""
        if self.pregnancy_status != PregnancyStatus.POSTPARTUM or self.delivery_date is None:
            return None
        return max((day - self.delivery_date).days, 0) // 7

    def age_on(self, day: dt.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def clean(self) -> None:
        errors: dict[str, str] = {}
        today = timezone.localdate()
        for name in ("given_name", "family_name", "preferred_name"):
            setattr(self, name, (getattr(self, name) or "").strip())
        if not self.given_name:
            errors["given_name"] = "Enter the client's given name."
        if not self.family_name:
            errors["family_name"] = "Enter the client's family name."
        if self.date_of_birth:
            if self.date_of_birth > today:
                errors["date_of_birth"] = "Date of birth cannot be in the future."
            elif self.age_on(today) > OLDEST_PLAUSIBLE_AGE_YEARS:
                errors["date_of_birth"] = (
                    f"Date of birth is more than {OLDEST_PLAUSIBLE_AGE_YEARS} years ago; check it."
                )
        for name in ("phone", "emergency_contact_phone"):
            value = getattr(self, name)
            if value and not PHONE_RE.match(value):
                errors[name] = "Enter a phone number: digits, spaces, +, -, ( ) only."
        if self.message_channel == MessageChannel.SMS and not self.messages_opt_out:
            if not self.phone:
                errors["phone"] = "Text messages need a phone number."
            elif phone_e164(self.phone) is None:
                errors["phone"] = "This is not a phone number a text message can reach."
        errors.update(
            self._consent_errors("consent_to_treatment", "consent_to_treatment_on", today)
        )
        errors.update(self._consent_errors("research_consent", "research_consent_on", today))
        errors.update(self._sex_and_gender_errors(today))
        if errors:
            raise ValidationError(errors)

    def _sex_and_gender_errors(self, today: dt.date) -> dict[str, str]:
        errors: dict[str, str] = {}
        for name in ("gender_identity_other", "pronouns_other"):
            setattr(self, name, (getattr(self, name) or "").strip())
        if self.gender_identity_other and self.gender_identity != GenderIdentity.OTHER:
            errors["gender_identity_other"] = (
                "Use the client's own words only with 'Another identity'."
            )
        if self.pronouns_other and self.pronouns != Pronouns.OTHER:
            errors["pronouns_other"] = "Use the client's own words only with 'Other'."
        postpartum = self.pregnancy_status == PregnancyStatus.POSTPARTUM
        if postpartum and self.delivery_date is None:
            errors["delivery_date"] = "Enter the delivery date of a postpartum client."
        elif not postpartum and self.delivery_date is not None:
            errors["delivery_date"] = "A delivery date goes with the postpartum status only."
        elif self.delivery_date is not None:
            if self.delivery_date > today:
                errors["delivery_date"] = "The delivery date cannot be in the future."
            elif self.date_of_birth and self.delivery_date <= self.date_of_birth:
                errors["delivery_date"] = "The delivery date must be after the date of birth."
        if self.sex_at_birth == SexAtBirth.MALE:
            if self.pregnancy_status in (PregnancyStatus.PREGNANT, PregnancyStatus.POSTPARTUM):
                errors["pregnancy_status"] = (
                    "Pregnancy does not apply when the sex assigned at birth is male."
                )
            if self.menopause_status in (
                MenopauseStatus.PRE,
                MenopauseStatus.PERI,
                MenopauseStatus.POST,
            ):
                errors["menopause_status"] = (
                    "Menopause does not apply when the sex assigned at birth is male."
                )
        return errors

    def _consent_errors(self, flag: str, date_field: str, today: dt.date) -> dict[str, str]:
        given, on = getattr(self, flag), getattr(self, date_field)
        if given and on is None:
            return {date_field: "Enter the date consent was given."}
        if not given and on is not None:
            return {date_field: "A consent date needs the consent box ticked."}
        if on is not None and on > today:
            return {date_field: "Consent cannot be dated in the future."}
        if on is not None and self.date_of_birth and on < self.date_of_birth:
            return {date_field: "Consent cannot be dated before the date of birth."}
        return {}


#: Fields a person edits; the form, the API schema and the history view use this list.
EDITABLE_FIELDS = [
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "email",
    "phone",
    "address",
    "city",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relation",
    "consent_to_treatment",
    "consent_to_treatment_on",
    "research_consent",
    "research_consent_on",
    "sex_at_birth",
    "gender_identity",
    "gender_identity_other",
    "pronouns",
    "pronouns_other",
    "pregnancy_status",
    "delivery_date",
    "menopause_status",
    "message_channel",
    "messages_opt_out",
    "preferred_language",
]
