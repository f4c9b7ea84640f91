"""HTML → PDF with WeasyPrint. Templates under ``templates/reports/*_pdf.html`` carry no
JavaScript; charts are inline SVG (``reports.svgchart``)."""

from __future__ import annotations

import logging
import time
from functools import cache
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

from touchstone.logs import duration_ms, get_logger

log = get_logger(__name__)

# WeasyPrint logs every layout step at INFO; keep server logs for what matters.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PRINT_CSS = Path(__file__).resolve().parent.parent / "static" / "touchstone" / "reports-print.css"


@cache
def _stylesheet() -> Any:
    from weasyprint import CSS

    return CSS(filename=str(PRINT_CSS))


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """The PDF of ``template`` rendered with ``context``."""
    from weasyprint import HTML

    started = time.perf_counter()
    html = render_to_string(template, context)
    pdf = HTML(string=html, base_url=str(PRINT_CSS.parent)).write_pdf(stylesheets=[_stylesheet()])
    assert pdf is not None  # write_pdf without a target returns the bytes
    log.info(
        "pdf_rendered", template=template, size_bytes=len(pdf), duration_ms=duration_ms(started)
    )
    return pdf


def warm_up() -> None:
    """Load WeasyPrint and its fonts once, so the first report a person asks for is as
    fast as the rest (measured: first PDF 2.9 s cold, 1.2 s warm; docs/benchmarks.md)."""
    from weasyprint import HTML

    HTML(string="<p>warm-up</p>").write_pdf(stylesheets=[_stylesheet()])
