"""The CMS-1500 (02/12) data sheet as a PDF (WeasyPrint, imported on first use like the
reports' PDFs). Each value sits under its box number and name; ``tests/test_cms1500.py``
reads it back with pypdf."""

from __future__ import annotations

from pathlib import Path

from django.template.loader import render_to_string

from touchstone.claims.files import Form

CSS = Path(__file__).resolve().parent.parent / "static" / "touchstone" / "cms1500-print.css"


def render_cms1500(forms: list[Form]) -> bytes:
    # WeasyPrint is heavy: imported on first use, not at start-up.
    from weasyprint import CSS as Stylesheet
    from weasyprint import HTML

    html = render_to_string("claims/cms1500_pdf.html", {"forms": forms})
    pdf = HTML(string=html, base_url=str(CSS.parent)).write_pdf(
        stylesheets=[Stylesheet(filename=str(CSS))]
    )
    assert pdf is not None  # write_pdf without a target returns the bytes
    return pdf
