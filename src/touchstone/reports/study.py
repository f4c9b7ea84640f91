"""A controlled study's report for publication and for insurers, as a PDF: the
intention-to-treat results, the CONSORT flow diagram and checklist, and the registered protocol
with every amendment and its SHA-256 attached (issue 16 §2), from the same
:func:`touchstone.trials.report.study_report` as the analysis page and its JSON export."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from touchstone.science.trials import consort_svg
from touchstone.trials.models import ControlledStudy, Status
from touchstone.trials.protocol import changed_keys
from touchstone.trials.report import StudyReport, study_report


class StudyNotRegistered(Exception):
    """Only a registered study has a protocol to attach and an allocation to analyse."""


@dataclass(frozen=True)
class StudyDocument:
    report: StudyReport
    consort_data_uri: str  # the SVG diagram as an image WeasyPrint draws
    amendments: list[dict[str, Any]]  # version, hash, date, reason, sections changed
    generated_at: Any

    @property
    def clinic(self) -> Any:
        return self.report.study.clinic

    @property
    def registered(self) -> dict[str, Any]:
        return self.report.versions[0].content


def build_study_document(study: ControlledStudy) -> StudyDocument:
    if study.status == Status.DRAFT:
        raise StudyNotRegistered("This study is not registered yet: register its protocol first.")
    report = study_report(study)
    svg = consort_svg(report.flow, title=f"CONSORT flow: {study.title}")
    amendments = [
        {
            "number": later.number,
            "sha256": later.sha256,
            "created_at": later.created_at,
            "reason": later.reason,
            "changed": ", ".join(changed_keys(earlier.content, later.content)) or "none",
        }
        for earlier, later in zip(report.versions, report.versions[1:], strict=False)
    ]
    return StudyDocument(
        report=report,
        consort_data_uri="data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
        amendments=amendments,
        generated_at=timezone.now(),
    )
