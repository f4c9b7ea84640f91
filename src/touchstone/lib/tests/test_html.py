"""table_rows(): a long table's rows in one pass, each cell shown as ``{{ cell }}`` shows it."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from touchstone.lib.html import table_rows


def test_every_cell_reads_as_the_template_engine_would_show_it():
    cells = [
        '<script>alert("x")</script>',
        "O'Brien & Sons",
        format_html('<a href="{}">{}</a>', "/visits/1/?a=1&b=2", "A & B"),  # safe: as it is
        3,
        2.5,
        1234567.891,
        None,
        gettext_lazy("baseline"),
        dt.date(2026, 3, 8),
        dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.UTC),  # 01:30 in Chicago: the clinic's time
    ]
    engine = Template("{% for c in cells %}<td>{{ c }}</td>{% endfor %}")
    chicago = zoneinfo.ZoneInfo("America/Chicago")
    for language in ("en", "es"):
        with translation.override(language), timezone.override(chicago):
            expected = f"<tr>{engine.render(Context({'cells': cells}))}</tr>"
            assert table_rows([cells]) == expected
    assert "<script>" not in table_rows([cells]) and '<a href="/visits/1/?a=1&amp;b=2">' in expected


def test_the_first_cell_may_head_its_row():
    rows = table_rows([("Neck <back>", 1, 2), ("Jaw", 0, 1)], row_header=True)
    assert rows == (
        '<tr><th scope="row">Neck &lt;back&gt;</th><td>1</td><td>2</td></tr>'
        '<tr><th scope="row">Jaw</th><td>0</td><td>1</td></tr>'
    )
    assert table_rows([]) == ""


def test_equal_values_of_different_types_keep_their_own_text():
    # 1, 1.0 and True are one key to a dict: the table must still show each as written.
    assert table_rows([(1, 1.0, True), (True, 1.0, 1)], row_header=True) == (
        '<tr><th scope="row">1</th><td>1.0</td><td>True</td></tr>'
        '<tr><th scope="row">True</th><td>1.0</td><td>1</td></tr>'
    )
