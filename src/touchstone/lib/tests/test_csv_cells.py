import csv
import io

import pandas as pd
import pytest

from touchstone.lib.csv_cells import safe_cell, safe_frame, writer


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", '=HYPERLINK("x")'],
)
def test_it_quotes_a_cell_a_spreadsheet_would_run(text: str):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-0.35", "+2", "1e-3", "-.5", -2, 0.5, None, "Ana", "", "a=b"])
def test_it_leaves_numbers_and_plain_text_alone(value: object):
    assert safe_cell(value) == value


def test_its_writer_neutralises_every_cell_of_every_row():
    out = io.StringIO()
    w = writer(out)
    w.writerow(["=label", -1.5, "ok"])
    w.writerows([["@x", "-3"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=label", "-1.5", "ok"],
        ["'@x", "-3"],
    ]


def test_it_neutralises_the_text_columns_of_a_frame_and_keeps_numbers():
    frame = pd.DataFrame({"label": ["=evil", "fine"], "total": [-3, 4]})
    safe = safe_frame(frame)
    assert safe["label"].tolist() == ["'=evil", "fine"]
    assert safe["total"].tolist() == [-3, 4]
    assert frame["label"].tolist() == ["=evil", "fine"]  # the original is untouched
