"""ANSI ASC X12N 837 Professional, version 5010 (005010X222A1), built from plain values.

One interchange (ISA/IEA) with one functional group (GS/GE, ``HC``) and one transaction
(ST/SE) holding one billing provider (2000A) and, per claim, the subscriber (2000B), the
patient when it is not the subscriber (2000C), the claim (2300) with its diagnoses (HI),
rendering provider (2310B) and service lines (2400). Loop and segment order, qualifiers and
required elements follow the ASC X12 Type 3 Technical Report "Health Care Claim:
Professional (837)", 005010X222 and its addendum A1 (Washington Publishing Company); the
tests check every file with pyx12, an independent validator, not with this module.

Separators: ``*`` elements, ``:`` components, ``^`` repetitions, ``~`` segments. Values are
upper-cased and stripped of the separators, so no value can break a segment.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from touchstone.claims.codes import icd_without_dot

ELEMENT, COMPONENT, REPETITION, SEGMENT = "*", ":", "^", "~"
VERSION = "005010X222A1"
#: SBR02 / PAT01 individual relationship codes (837P 5010): self, spouse, child, other.
RELATIONSHIP_CODES = {"self": "18", "spouse": "01", "child": "19", "other": "G8"}
#: SBR09 claim filing indicator: CI commercial insurance, MB Medicare Part B, MC Medicaid,
#: BL Blue Cross/Blue Shield, WC workers' compensation, 11 other non-federal programmes.
FILING_INDICATORS = ("CI", "MB", "MC", "BL", "WC", "11", "ZZ")
_UNSAFE = re.compile(r"[*:^~\r\n]")


def clean(value: object) -> str:
    """A value safe inside an element: upper case, separators and line breaks removed."""
    return _UNSAFE.sub(" ", str(value)).strip().upper()


def amount(value: Decimal) -> str:
    """X12 decimal: no trailing zeros beyond what is needed (100.00 -> 100, 80.50 -> 80.5)."""
    text = f"{value.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    state: str
    zip_code: str


@dataclass(frozen=True)
class Person:
    last_name: str
    first_name: str
    birth_date: dt.date | None = None
    sex: str = "U"  # DMG03: F, M or U
    address: Address | None = None


@dataclass(frozen=True)
class Provider:
    """A rendering provider: a person with an NPI and a taxonomy code."""

    last_name: str
    first_name: str
    npi: str
    taxonomy: str


@dataclass(frozen=True)
class BillingProvider:
    name: str
    npi: str
    ein: str  # nine digits
    address: Address
    taxonomy: str = ""


@dataclass(frozen=True)
class Line:
    """One service line: a day, a CPT/HCPCS code, units, the charge and up to four
    diagnosis pointers (1-12, the positions in the claim's HI segment)."""

    day: dt.date
    code: str
    units: int
    charge: Decimal
    pointers: tuple[int, ...]
    control_number: str  # REF*6R: an 835 names the line with it
    place_of_service: str = "11"


@dataclass(frozen=True)
class Claim:
    control_number: str  # CLM01, the patient control number an 835 answers with (CLP01)
    subscriber: Person
    member_id: str
    relationship: str  # key of RELATIONSHIP_CODES
    patient: Person  # the client; equal to the subscriber when relationship is "self"
    payer_name: str
    payer_id: str
    priority: str  # P primary, S secondary
    diagnoses: tuple[str, ...]  # ICD-10-CM, the first is the principal diagnosis
    lines: tuple[Line, ...]
    rendering: Provider
    group_number: str = ""
    filing_indicator: str = "CI"
    prior_authorization: str = ""
    place_of_service: str = "11"

    @property
    def total(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal("0.00"))


@dataclass(frozen=True)
class Batch:
    """An interchange: who sends it to whom, its control number, when, and its claims."""

    sender_id: str  # ISA06/GS02: the submitter's id at the clearinghouse (ETIN)
    receiver_id: str  # ISA08/GS03
    receiver_name: str
    submitter_name: str
    contact_name: str
    contact_phone: str  # ten digits
    control_number: int  # ISA13/GS06/ST02, 1 to 999999999
    created_at: dt.datetime
    billing: BillingProvider
    claims: tuple[Claim, ...]
    production: bool = False  # ISA15: P production, T test


def _segment(*elements: object) -> str:
    parts = [str(e) for e in elements]
    while parts and parts[-1] == "":
        parts.pop()
    return ELEMENT.join(parts) + SEGMENT


def _nm1_person(
    code: str, person: Person | Provider, id_qualifier: str = "", ident: str = ""
) -> str:
    return _segment(
        "NM1",
        code,
        "1",
        clean(person.last_name),
        clean(person.first_name),
        "",
        "",
        "",
        id_qualifier,
        clean(ident),
    )


def _address(address: Address) -> list[str]:
    return [
        _segment("N3", clean(address.street)),
        _segment("N4", clean(address.city), clean(address.state), clean(address.zip_code)),
    ]


def _demographics(person: Person) -> str:
    assert person.birth_date is not None
    return _segment("DMG", "D8", f"{person.birth_date:%Y%m%d}", person.sex or "U")


def build_837p(batch: Batch) -> str:
    """The 837P interchange of ``batch``, one segment per line."""
    created = batch.created_at
    control = f"{batch.control_number:09d}"
    body: list[str] = [
        _segment("ST", "837", "0001", VERSION),
        _segment("BHT", "0019", "00", control, f"{created:%Y%m%d}", f"{created:%H%M}", "CH"),
        # 1000A submitter, 1000B receiver.
        _segment(
            "NM1",
            "41",
            "2",
            clean(batch.submitter_name),
            "",
            "",
            "",
            "",
            "46",
            clean(batch.sender_id),
        ),
        _segment("PER", "IC", clean(batch.contact_name), "TE", clean(batch.contact_phone)),
        _segment(
            "NM1",
            "40",
            "2",
            clean(batch.receiver_name),
            "",
            "",
            "",
            "",
            "46",
            clean(batch.receiver_id),
        ),
    ]
    # 2000A billing provider.
    billing = batch.billing
    body.append(_segment("HL", "1", "", "20", "1"))
    if billing.taxonomy:
        body.append(_segment("PRV", "BI", "PXC", clean(billing.taxonomy)))
    body.append(_segment("NM1", "85", "2", clean(billing.name), "", "", "", "", "XX", billing.npi))
    body.extend(_address(billing.address))
    body.append(_segment("REF", "EI", billing.ein))
    hl = 1
    for claim in batch.claims:
        hl += 1
        subscriber_hl = hl
        is_self = claim.relationship == "self"
        body.append(_segment("HL", str(subscriber_hl), "1", "22", "0" if is_self else "1"))
        body.append(
            _segment(
                "SBR",
                claim.priority,
                RELATIONSHIP_CODES["self"] if is_self else "",
                clean(claim.group_number),
                "",
                "",
                "",
                "",
                "",
                claim.filing_indicator,
            )
        )
        body.append(_nm1_person("IL", claim.subscriber, "MI", claim.member_id))
        if is_self:
            assert claim.subscriber.address is not None
            body.extend(_address(claim.subscriber.address))
            body.append(_demographics(claim.subscriber))
        body.append(
            _segment(
                "NM1",
                "PR",
                "2",
                clean(claim.payer_name),
                "",
                "",
                "",
                "",
                "PI",
                clean(claim.payer_id),
            )
        )
        if not is_self:
            hl += 1
            body.append(_segment("HL", str(hl), str(subscriber_hl), "23", "0"))
            body.append(_segment("PAT", RELATIONSHIP_CODES[claim.relationship]))
            body.append(_nm1_person("QC", claim.patient))
            assert claim.patient.address is not None
            body.extend(_address(claim.patient.address))
            body.append(_demographics(claim.patient))
        body.extend(_claim_segments(claim))
    body.append(_segment("SE", str(len(body) + 1), "0001"))
    date6, time4 = f"{created:%y%m%d}", f"{created:%H%M}"
    isa = _segment(
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        clean(batch.sender_id).ljust(15),
        "ZZ",
        clean(batch.receiver_id).ljust(15),
        date6,
        time4,
        REPETITION,
        "00501",
        control,
        "0",
        "P" if batch.production else "T",
        COMPONENT,
    )
    gs = _segment(
        "GS",
        "HC",
        clean(batch.sender_id),
        clean(batch.receiver_id),
        f"{created:%Y%m%d}",
        time4,
        str(batch.control_number),
        "X",
        VERSION,
    )
    trailer = [_segment("GE", "1", str(batch.control_number)), _segment("IEA", "1", control)]
    return "\n".join([isa, gs, *body, *trailer]) + "\n"


def _claim_segments(claim: Claim) -> list[str]:
    out = [
        _segment(
            "CLM",
            clean(claim.control_number),
            amount(claim.total),
            "",
            "",
            COMPONENT.join([claim.place_of_service, "B", "1"]),
            "Y",  # provider signature on file
            "A",  # assignment accepted
            "Y",  # benefits assigned
            "Y",  # release of information
        )
    ]
    if claim.prior_authorization:
        out.append(_segment("REF", "G1", clean(claim.prior_authorization)))
    codes = [icd_without_dot(code) for code in claim.diagnoses]
    out.append(
        _segment(
            "HI",
            *(f"{'ABK' if i == 0 else 'ABF'}{COMPONENT}{code}" for i, code in enumerate(codes)),
        )
    )
    rendering = claim.rendering
    out.append(_nm1_person("82", rendering, "XX", rendering.npi))
    out.append(_segment("PRV", "PE", "PXC", clean(rendering.taxonomy)))
    for number, line in enumerate(claim.lines, start=1):
        out.append(_segment("LX", str(number)))
        out.append(
            _segment(
                "SV1",
                f"HC{COMPONENT}{clean(line.code)}",
                amount(line.charge),
                "UN",
                str(line.units),
                line.place_of_service if line.place_of_service != claim.place_of_service else "",
                "",
                COMPONENT.join(str(p) for p in line.pointers),
            )
        )
        out.append(_segment("DTP", "472", "D8", f"{line.day:%Y%m%d}"))
        out.append(_segment("REF", "6R", clean(line.control_number)))
    return out
