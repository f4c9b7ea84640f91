"""The secret key of a clinic's de-identified research exports."""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.db import models
from django.utils import timezone

from touchstone.accounts.access import ClinicOwned


def new_key() -> str:
    return secrets.token_hex(32)


class ResearchExportKey(ClinicOwned):
    """The HMAC key behind a clinic's pseudonymous ids and date shifts (science.deid).

    Never exported, never shown: with it, pseudonyms are stable across exports (a research
    network can follow a client over several exports); without it, they cannot be linked
    back to the record (45 CFR 164.514(c)). Rotating it (a new row) starts new pseudonyms.
    """

    key = models.CharField(max_length=64, default=new_key, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic"], name="one_research_key_per_clinic")
        ]

    def __str__(self) -> str:
        return f"Research export key of clinic {self.clinic_id}"
