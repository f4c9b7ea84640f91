"""Stored claims turned into the plain values of ``claims.x837`` (the 837P file) and into the
boxes of the CMS-1500 (02/12) form. Reads only; the writes are ``claims.actions``'."""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.claims import codes, x837
from touchstone.claims.models import (
    Claim,
    ClaimLine,
    ClaimSettings,
    Coverage,
    ProviderNumbers,
    Relationship,
)
from touchstone.clients.models import Client

#: Client.sex_at_birth -> DMG03 / CMS-1500 box 3.
SEX_CODES = {"female": "F", "male": "M"}
#: CMS-1500 02/12 has six service lines per form; a longer claim continues on more pages.
LINES_PER_FORM = 6


def claims_with_lines(claims: list[Claim]) -> list[Claim]:
    ids = [c.pk for c in claims]
    return list(
        Claim.objects.filter(pk__in=ids)
        .select_related("clinic", "client", "coverage__payer", "rendering__user")
        .prefetch_related("lines")
        .order_by("number")
    )


def _split_name(coverage: Coverage, client: Client) -> tuple[str, str]:
    if coverage.relationship == Relationship.SELF:
        return client.family_name, client.given_name
    return coverage.subscriber_family_name, coverage.subscriber_given_name


def _address(coverage: Coverage) -> x837.Address:
    return x837.Address(coverage.street, coverage.city, coverage.state, coverage.zip_code)


def _patient(coverage: Coverage, client: Client) -> x837.Person:
    return x837.Person(
        client.family_name,
        client.given_name,
        client.date_of_birth,
        SEX_CODES.get(client.sex_at_birth, "U"),
        _address(coverage),
    )


def _subscriber(coverage: Coverage, client: Client) -> x837.Person:
    if coverage.relationship == Relationship.SELF:
        return _patient(coverage, client)
    last, first = _split_name(coverage, client)
    return x837.Person(
        last, first, coverage.subscriber_date_of_birth, coverage.subscriber_sex, _address(coverage)
    )


def to_x837_claim(claim: Claim, numbers: dict[int, ProviderNumbers]) -> x837.Claim:
    coverage, client = claim.coverage, claim.client
    provider = numbers[claim.rendering_id]
    user = claim.rendering.user
    lines = tuple(
        x837.Line(
            line.day,
            line.code,
            line.units,
            line.amount,
            tuple(int(p) for p in line.pointers.split(":")),
            f"{claim.control_number}-{line.position}",
        )
        for line in claim.lines.all()
    )
    return x837.Claim(
        control_number=claim.control_number,
        subscriber=_subscriber(coverage, client),
        member_id=coverage.member_id,
        relationship=coverage.relationship,
        patient=_patient(coverage, client),
        payer_name=coverage.payer.name,
        payer_id=coverage.payer.payer_id,
        priority=coverage.priority,
        diagnoses=tuple(claim.diagnoses),
        lines=lines,
        rendering=x837.Provider(
            user.last_name or claim.rendering.display_name,
            user.first_name,
            provider.npi,
            provider.taxonomy,
        ),
        group_number=coverage.group_number,
        filing_indicator=coverage.payer.filing_indicator,
        prior_authorization=coverage.prior_authorization,
    )


def billing_provider(clinic: Clinic, settings: ClaimSettings) -> x837.BillingProvider:
    return x837.BillingProvider(
        clinic.name,
        clinic.npi,
        codes.ein_digits(clinic.tax_id),
        x837.Address(settings.street, settings.city, settings.state, settings.zip_code),
        settings.taxonomy,
    )


def build_batch(
    clinic: Clinic, claims: list[Claim], control_number: int, created_at: dt.datetime
) -> x837.Batch:
    settings = ClaimSettings.objects.get(clinic=clinic)
    numbers = {p.staff_id: p for p in ProviderNumbers.objects.filter(clinic=clinic)}
    return x837.Batch(
        sender_id=settings.submitter_id,
        receiver_id=settings.receiver_id,
        receiver_name=settings.receiver_name,
        submitter_name=clinic.name,
        contact_name=settings.contact_name,
        contact_phone=settings.contact_phone,
        control_number=control_number,
        created_at=timezone.localtime(created_at),
        billing=billing_provider(clinic, settings),
        claims=tuple(to_x837_claim(c, numbers) for c in claims_with_lines(claims)),
    )


# CMS-1500 (02/12) ----------------------------------------------------------------------------


@dataclass
class FormLine:
    """Box 24 A-J of one line."""

    day: dt.date
    place_of_service: str
    code: str
    pointer: str  # 24E: letters, e.g. AB
    charge: Decimal
    units: int
    rendering_npi: str


@dataclass
class Form:
    """One page of a CMS-1500: the boxes it fills, by box number."""

    claim: Claim
    page: int
    pages: int
    boxes: dict[str, str]
    diagnoses: list[tuple[str, str]]  # box 21 A-L
    lines: list[FormLine]
    total: Decimal


def _mmddyy(day: dt.date | None) -> str:
    return f"{day:%m %d %Y}" if day else ""


def cms1500_forms(claims: list[Claim]) -> list[Form]:
    """The CMS-1500 pages of ``claims``; box numbers follow the NUCC 1500 Claim Form
    Reference Instruction Manual for form version 02/12."""
    forms: list[Form] = []
    if not claims:
        return forms
    clinic = claims[0].clinic
    settings = ClaimSettings.objects.get(clinic=clinic)
    numbers = {p.staff_id: p for p in ProviderNumbers.objects.filter(clinic=clinic)}
    for claim in claims_with_lines(claims):
        coverage, client = claim.coverage, claim.client
        sub_last, sub_first = _split_name(coverage, client)
        sex = SEX_CODES.get(client.sex_at_birth, "")
        npi = numbers[claim.rendering_id].npi
        boxes = {
            "payer": f"{coverage.payer.name} (payer ID {coverage.payer.payer_id})",
            "1": {"MB": "Medicare", "MC": "Medicaid"}.get(
                coverage.payer.filing_indicator, "Group health plan"
            ),
            "1a": coverage.member_id,
            "2": f"{client.family_name}, {client.given_name}",
            "3": f"{_mmddyy(client.date_of_birth)} {sex}".strip(),
            "4": f"{sub_last}, {sub_first}",
            "5": f"{coverage.street}, {coverage.city}, {coverage.state} {coverage.zip_code}",
            "6": coverage.get_relationship_display(),
            "7": f"{coverage.street}, {coverage.city}, {coverage.state} {coverage.zip_code}",
            "11": coverage.group_number,
            "11c": coverage.plan_name,
            "12": "Signature on file",
            "13": "Signature on file",
            "23": coverage.prior_authorization,
            "25": f"{codes.ein_digits(clinic.tax_id)} EIN",
            "26": claim.control_number,
            "27": "Yes",
            "31": claim.rendering.display_name,
            "32": f"{clinic.name}, {settings.street}, {settings.city}, {settings.state} "
            f"{settings.zip_code}",
            "33": f"{clinic.name}, {settings.street}, {settings.city}, {settings.state} "
            f"{settings.zip_code}",
            "33a": clinic.npi,
            "icd_ind": "0",
        }
        diagnoses = [
            (letter, codes.icd_without_dot(code))
            for letter, code in zip(string.ascii_uppercase, claim.diagnoses, strict=False)
        ]
        lines: list[ClaimLine] = list(claim.lines.all())
        pages = max(1, -(-len(lines) // LINES_PER_FORM))
        for page in range(pages):
            chunk = lines[page * LINES_PER_FORM : (page + 1) * LINES_PER_FORM]
            form_lines = [
                FormLine(
                    line.day,
                    "11",
                    line.code,
                    "".join(string.ascii_uppercase[int(p) - 1] for p in line.pointers.split(":")),
                    line.amount,
                    line.units,
                    npi,
                )
                for line in chunk
            ]
            forms.append(
                Form(
                    claim,
                    page + 1,
                    pages,
                    boxes,
                    diagnoses,
                    form_lines,
                    sum((fl.charge for fl in form_lines), Decimal("0.00")),
                )
            )
    return forms
