"""Table rows built in one pass, for the long tables of a page (the progress page's tables of
scores, tension and ratings, the body time line).

Django's template engine spends ~15 µs per ``{{ cell }}`` (lookup, localisation, escaping)
and more per ``{% for %}`` iteration; a client's progress page has some 700 cells, a third of
its time. Here every cell is escaped like ``{{ cell }}`` (``conditional_escape``: a
``SafeString`` such as a link made with ``format_html`` passes as it is, anything else is
escaped), and the markup around the cells stays as small as a template's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not stubbed


def table_rows(rows: Iterable[Sequence[object]], *, row_header: bool = False) -> SafeString:
    """``<tr><td>…</td>…</tr>`` for each row of cells, every cell escaped.

    Each cell is shown as ``{{ cell }}`` would show it: an aware datetime in the current time
    zone, numbers and dates localised (``formats.localize``), a safe string as it is.
    ``row_header``: the first cell of each row is its header (``<th scope="row">``).
    """
    out = []
    # A table repeats its values (tension levels, dates, words): each distinct one is
    # localised and escaped once. Keyed by type too, as 1, 1.0 and True are equal keys.
    texts: dict[tuple[type, object], str] = {}
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            key = (type(cell), cell)
            text = texts.get(key)
            if text is None:
                text = texts[key] = _text(cell)
            if i == 0 and row_header:
                cells.append(f'<th scope="row">{text}</th>')
            else:
                cells.append(f"<td>{text}</td>")
        out.append(f"<tr>{''.join(cells)}</tr>")
    return mark_safe("".join(out))  # noqa: S308 - every cell escaped above


def _text(cell: object) -> str:
    """A cell as ``{{ cell }}`` shows it (``template.base.render_value_in_context``): an
    aware datetime in the current time zone, localised, escaped unless already safe."""
    value = localize(template_localtime(cell))
    return conditional_escape(value if isinstance(value, str) else str(value))
