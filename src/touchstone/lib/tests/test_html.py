from django.utils.html import format_html
from django.utils.translation import override

from touchstone.lib.html import table_rows


def test_it_escapes_and_localises_each_cell_as_a_template_would():
    link = format_html('<a href="/x/{}/">{}</a>', 7, "x")
    html = table_rows([("<b>", 2.5, link), ("<b>", 2.5, link)], labels=["", "Score"])
    row = f'<tr><td>&lt;b&gt;</td><td data-label="Score">2.5</td><td>{link}</td></tr>'
    assert html == row * 2
    with override("es"):
        assert table_rows([(2.5,)]) == "<tr><td>2,5</td></tr>"


def test_equal_values_of_different_types_keep_their_own_text():
    # 1, 1.0 and True are one key to a dict: the table must still show each as written.
    assert table_rows([(1, 1.0, True), (True, 1.0, 1)], row_header=True) == (
        '<tr><th scope="row">1</th><td>1.0</td><td>True</td></tr>'
        '<tr><th scope="row">True</th><td>1.0</td><td>1</td></tr>'
    )
