"""ANSI ASC X12N 835 Health Care Claim Payment/Advice, version 5010 (005010X221A1), read
into plain values.

What Touchstone uses of a remittance: the payment (BPR: total, method, date; TRN: the trace
number), the payer (N1*PR), and per claim (CLP) its patient control number (our claim's
CLM01), status, charge, payment, the payer's claim number, adjustments (CAS) and per service
line (SVC) the code, charge, payment, units, the line control number we sent (REF*6R) and
its adjustments. Segment meanings follow the ASC X12 Type 3 Technical Report "Health Care
Claim Payment/Advice (835)", 005010X221 and addendum A1.

The reader refuses, with the segment number and a specific message, a file that is not an
835, a segment it needs that is missing or malformed, an amount that is not a number, and a
remittance that does not balance (BPR02 equal to the sum of CLP04 less provider-level
adjustments; each claim's charge less payment equal to its adjustments; each line's likewise)
(the balancing rules of section 1.10.2 of the 835 report). It never guesses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

#: CLP02 claim status codes (835 5010).
PROCESSED_PRIMARY, PROCESSED_SECONDARY, PROCESSED_TERTIARY = "1", "2", "3"
DENIED = "4"
REVERSAL = "22"
STATUS_LABELS = {
    "1": "Processed as primary",
    "2": "Processed as secondary",
    "3": "Processed as tertiary",
    "4": "Denied",
    "19": "Processed as primary, forwarded to additional payer",
    "20": "Processed as secondary, forwarded to additional payer",
    "21": "Processed as tertiary, forwarded to additional payer",
    "22": "Reversal of previous payment",
    "23": "Not our claim, forwarded to additional payer",
    "25": "Predetermination pricing only, no payment",
}
#: CAS01 claim adjustment group codes.
GROUPS = {
    "CO": "Contractual obligation",
    "CR": "Correction and reversal",
    "OA": "Other adjustment",
    "PI": "Payer-initiated reduction",
    "PR": "Patient responsibility",
}


class RemittanceError(ValueError):
    """A malformed or unbalanced 835: the message names the segment and what is wrong."""


@dataclass(frozen=True)
class Adjustment:
    group: str  # CO, PR, OA, PI, CR
    reason: str  # CARC, e.g. 45
    amount: Decimal


@dataclass(frozen=True)
class ServicePayment:
    code: str
    charge: Decimal
    paid: Decimal
    units: int
    control_number: str  # REF*6R we sent on the line ("" if the payer did not echo it)
    day: dt.date | None
    adjustments: tuple[Adjustment, ...]


@dataclass(frozen=True)
class ClaimPayment:
    control_number: str  # CLP01 = our CLM01
    status: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    payer_claim_number: str
    adjustments: tuple[Adjustment, ...]
    services: tuple[ServicePayment, ...]
    patient: tuple[str, str, str] = ("", "", "")  # NM1*QC: last name, first name, member id

    @property
    def denied(self) -> bool:
        return self.status == DENIED

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, f"Status {self.status}")


@dataclass(frozen=True)
class Remittance:
    total_paid: Decimal
    method: str  # BPR04: ACH, CHK, NON, ...
    paid_on: dt.date | None
    trace_number: str
    payer_name: str
    payer_id: str
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: Decimal = Decimal("0.00")


@dataclass
class _Claim:
    values: list[str]
    number: int
    patient: tuple[str, str, str] = ("", "", "")
    adjustments: list[Adjustment] = field(default_factory=list)
    services: list[_Service] = field(default_factory=list)


@dataclass
class _Service:
    values: list[str]
    number: int
    control_number: str = ""
    day: dt.date | None = None
    adjustments: list[Adjustment] = field(default_factory=list)


def _money(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise RemittanceError(f"{where}: {text!r} is not an amount.") from None
    if not value.is_finite():
        raise RemittanceError(f"{where}: {text!r} is not an amount.")
    return value.quantize(Decimal("0.01"))


def _date(text: str, where: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 (a calendar day)
    except ValueError:
        raise RemittanceError(f"{where}: {text!r} is not a date (CCYYMMDD).") from None


def _element(values: list[str], index: int, where: str, name: str) -> str:
    if len(values) <= index or not values[index].strip():
        raise RemittanceError(f"{where}: {name} is missing.")
    return values[index].strip()


def _optional(values: list[str], index: int) -> str:
    return values[index].strip() if len(values) > index else ""


def _segments(text: str) -> tuple[list[list[str]], str]:
    """The segments of an interchange, split with the separators its ISA declares."""
    stripped = text.lstrip()
    if not stripped.startswith("ISA") or len(stripped) < 106:
        raise RemittanceError("This is not an X12 file: it must start with an ISA segment.")
    element = stripped[3]
    component = stripped[104]
    terminator = stripped[105]
    raw = [s.strip() for s in stripped.split(terminator)]
    return [s.split(element) for s in raw if s], component


def _adjustments(values: list[str], where: str) -> list[Adjustment]:
    group = _element(values, 1, where, "CAS01 (adjustment group)")
    if group not in GROUPS:
        raise RemittanceError(
            f"{where}: {group!r} is not an adjustment group ({', '.join(GROUPS)})."
        )
    out = []
    # Up to six reason/amount/quantity triples: CAS02-04, CAS05-07, ... CAS17-19.
    for start in range(2, min(len(values), 20), 3):
        reason = _optional(values, start)
        if not reason:
            continue
        value = _money(_element(values, start + 1, where, "adjustment amount"), where)
        out.append(Adjustment(group, reason, value))
    if not out:
        raise RemittanceError(f"{where}: an adjustment needs a reason and an amount.")
    return out


def parse_835(text: str) -> Remittance:
    """The remittance in ``text`` (one 835 transaction).

    Raises
    ------
    RemittanceError
        With the segment number (1 = ISA) and what is wrong.
    """
    segments, component = _segments(text)
    ids = [s[0] for s in segments]
    if "ST" not in ids or _optional(segments[ids.index("ST")], 1) != "835":
        raise RemittanceError("This X12 file is not an 835 remittance (ST01 must be 835).")
    if ids.count("ST") > 1:
        raise RemittanceError("One remittance (ST…SE) per file, please; this file has several.")
    bpr = trn = None
    payer_name = payer_id = ""
    claims: list[_Claim] = []
    plb_total = Decimal("0.00")
    in_payer = False
    for number, values in enumerate(segments, start=1):
        where = f"Segment {number} ({values[0]})"
        sid = values[0]
        if sid == "BPR":
            bpr = (values, where)
        elif sid == "TRN":
            trn = values
        elif sid == "N1":
            in_payer = _optional(values, 1) == "PR"
            if in_payer:
                payer_name = _element(values, 2, where, "the payer's name")
        elif sid == "REF" and in_payer and _optional(values, 1) == "2U":
            payer_id = _optional(values, 2)
        elif sid == "CLP":
            in_payer = False
            claims.append(_Claim(values, number))
        elif sid == "NM1" and claims and _optional(values, 1) == "QC":
            claims[-1].patient = (_optional(values, 3), _optional(values, 4), _optional(values, 9))
        elif sid == "SVC":
            if not claims:
                raise RemittanceError(f"{where}: a service line before any claim (CLP).")
            claims[-1].services.append(_Service(values, number))
        elif sid == "CAS":
            if not claims:
                raise RemittanceError(f"{where}: an adjustment before any claim (CLP).")
            target = claims[-1].services[-1] if claims[-1].services else claims[-1]
            target.adjustments.extend(_adjustments(values, where))
        elif sid == "REF" and claims and claims[-1].services and _optional(values, 1) == "6R":
            claims[-1].services[-1].control_number = _optional(values, 2)
        elif (
            sid == "DTM"
            and claims
            and claims[-1].services
            and _optional(values, 1)
            in (
                "472",
                "150",
            )
        ):
            claims[-1].services[-1].day = _date(_element(values, 2, where, "the date"), where)
        elif sid == "PLB":
            # Provider-level adjustments: reason/amount pairs from PLB03 on.
            for start in range(3, len(values), 2):
                if _optional(values, start + 1):
                    plb_total += _money(values[start + 1], where)
    if bpr is None:
        raise RemittanceError("The remittance has no BPR segment (the payment).")
    bpr_values, bpr_where = bpr
    total = _money(_element(bpr_values, 2, bpr_where, "BPR02 (total paid)"), bpr_where)
    method = _optional(bpr_values, 4)
    paid_on = _date(bpr_values[16], bpr_where) if _optional(bpr_values, 16) else None
    if trn is None:
        raise RemittanceError("The remittance has no TRN segment (the trace number).")
    trace = _element(trn, 2, "TRN", "TRN02 (the check or EFT trace number)")
    if not claims:
        raise RemittanceError("The remittance has no claim (CLP segment).")
    parsed = tuple(_claim(c, component) for c in claims)
    paid = sum((c.paid for c in parsed), Decimal("0.00")) - plb_total
    if paid != total:
        raise RemittanceError(
            f"The remittance does not balance: BPR02 says {total} was paid, the claims "
            f"(CLP04) less provider adjustments (PLB) add up to {paid}."
        )
    return Remittance(total, method, paid_on, trace, payer_name, payer_id, parsed, plb_total)


def _claim(claim: _Claim, component: str) -> ClaimPayment:
    values, where = claim.values, f"Segment {claim.number} (CLP)"
    control = _element(values, 1, where, "CLP01 (the claim's control number)")
    status = _element(values, 2, where, "CLP02 (the claim status)")
    if status not in STATUS_LABELS:
        raise RemittanceError(f"{where}: {status!r} is not a claim status code.")
    charge = _money(_element(values, 3, where, "CLP03 (charge)"), where)
    paid = _money(_element(values, 4, where, "CLP04 (payment)"), where)
    patient = _money(_optional(values, 5) or "0", where)
    services = tuple(_service(s, component) for s in claim.services)
    adjusted = sum((a.amount for a in claim.adjustments), Decimal("0.00")) + sum(
        (a.amount for s in services for a in s.adjustments), Decimal("0.00")
    )
    if status != REVERSAL and charge - paid != adjusted:
        raise RemittanceError(
            f"{where}: claim {control} does not balance: charge {charge} less payment {paid} "
            f"is {charge - paid}, but its adjustments (CAS) add up to {adjusted}."
        )
    return ClaimPayment(
        control,
        status,
        charge,
        paid,
        patient,
        _optional(values, 7),
        tuple(claim.adjustments),
        services,
        claim.patient,
    )


def _service(service: _Service, component: str) -> ServicePayment:
    values, where = service.values, f"Segment {service.number} (SVC)"
    composite = _element(values, 1, where, "SVC01 (the procedure)").split(component)
    if len(composite) < 2 or composite[0] not in ("HC", "AD", "ER", "HP", "IV", "NU", "WK"):
        raise RemittanceError(f"{where}: SVC01 must be a qualifier and a code, e.g. HC:97124.")
    charge = _money(_element(values, 2, where, "SVC02 (charge)"), where)
    paid = _money(_element(values, 3, where, "SVC03 (payment)"), where)
    units_text = _optional(values, 5) or "1"
    try:
        units = int(Decimal(units_text))
    except InvalidOperation:
        raise RemittanceError(f"{where}: {units_text!r} is not a number of units.") from None
    adjusted = sum((a.amount for a in service.adjustments), Decimal("0.00"))
    if charge - paid != adjusted:
        raise RemittanceError(
            f"{where}: line {composite[1]} does not balance: charge {charge} less payment "
            f"{paid} is {charge - paid}, but its adjustments (CAS) add up to {adjusted}."
        )
    return ServicePayment(
        composite[1],
        charge,
        paid,
        units,
        service.control_number,
        service.day,
        tuple(service.adjustments),
    )


def build_835(
    remittance: Remittance,
    *,
    sender_id: str,
    receiver_id: str,
    payee_name: str,
    payee_npi: str,
    control_number: int,
    created_at: dt.datetime,
) -> str:
    """An 835 carrying ``remittance``: what the demo clinic's payer "sends", and what the
    tests feed the importer (checked with pyx12 like the 837P)."""

    def seg(*elements: object) -> str:
        parts = [str(e) for e in elements]
        while parts and parts[-1] == "":
            parts.pop()
        return "*".join(parts) + "~"

    def amt(value: Decimal) -> str:
        text = f"{value.quantize(Decimal('0.01')):f}"
        return text.rstrip("0").rstrip(".") if "." in text else text

    control = f"{control_number:09d}"
    paid_on = remittance.paid_on or created_at.date()
    body = [
        seg("ST", "835", "0001"),
        seg(
            "BPR",
            "I" if remittance.total_paid > 0 else "H",
            amt(remittance.total_paid),
            "C",
            "NON" if remittance.total_paid == 0 else "CHK",
            *([""] * 11),
            f"{paid_on:%Y%m%d}",
        ),
        seg("TRN", "1", remittance.trace_number, "1" + "0" * 9),
        seg("DTM", "405", f"{paid_on:%Y%m%d}"),
        seg("N1", "PR", remittance.payer_name.upper()),
        seg("N3", "PO BOX 1"),
        seg("N4", "SPRINGFIELD", "IL", "62701"),
        *([seg("REF", "2U", remittance.payer_id)] if remittance.payer_id else []),
        seg("PER", "BL", "CLAIMS", "TE", "8005550100"),
        seg("N1", "PE", payee_name.upper(), "XX", payee_npi),
    ]
    for number, claim in enumerate(remittance.claims, start=1):
        body.append(seg("LX", str(number)))
        body.append(
            seg(
                "CLP",
                claim.control_number,
                claim.status,
                amt(claim.charge),
                amt(claim.paid),
                amt(claim.patient_responsibility) if claim.patient_responsibility else "",
                "12",
                claim.payer_claim_number,
            )
        )
        for adjustment in claim.adjustments:
            body.append(seg("CAS", adjustment.group, adjustment.reason, amt(adjustment.amount)))
        last, first, member = claim.patient
        body.append(
            seg(
                "NM1",
                "QC",
                "1",
                last.upper() or "UNKNOWN",
                first.upper(),
                "",
                "",
                "",
                "MI" if member else "",
                member,
            )
        )
        for service in claim.services:
            body.append(
                seg(
                    "SVC",
                    f"HC:{service.code}",
                    amt(service.charge),
                    amt(service.paid),
                    "",
                    str(service.units),
                )
            )
            if service.day:
                body.append(seg("DTM", "472", f"{service.day:%Y%m%d}"))
            for adjustment in service.adjustments:
                body.append(seg("CAS", adjustment.group, adjustment.reason, amt(adjustment.amount)))
            if service.control_number:
                body.append(seg("REF", "6R", service.control_number))
    body.append(seg("SE", str(len(body) + 1), "0001"))
    isa = seg(
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        sender_id.ljust(15),
        "ZZ",
        receiver_id.ljust(15),
        f"{created_at:%y%m%d}",
        f"{created_at:%H%M}",
        "^",
        "00501",
        control,
        "0",
        "T",
        ":",
    )
    gs = seg(
        "GS",
        "HP",
        sender_id,
        receiver_id,
        f"{created_at:%Y%m%d}",
        f"{created_at:%H%M}",
        str(control_number),
        "X",
        "005010X221A1",
    )
    return (
        "\n".join([isa, gs, *body, seg("GE", "1", str(control_number)), seg("IEA", "1", control)])
        + "\n"
    )
