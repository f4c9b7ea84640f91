"""Clients: the people receiving care."""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from touchstone.accounts.access import ClinicOwned, ClinicOwnedQuerySet

OLDEST_PLAUSIBLE_AGE_YEARS = 120
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,25}$")


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
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ClientQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering: ClassVar = ["family_name", "given_name", "id"]
        indexes: ClassVar = [models.Index(fields=["clinic", "family_name", "given_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        shown = self.preferred_name or self.given_name
        return f"{shown} {self.family_name}"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

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
        errors.update(
            self._consent_errors("consent_to_treatment", "consent_to_treatment_on", today)
        )
        errors.update(self._consent_errors("research_consent", "research_consent_on", today))
        if errors:
            raise ValidationError(errors)

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
]
