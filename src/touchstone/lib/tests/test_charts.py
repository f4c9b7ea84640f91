from touchstone.lib.charts import BAND_COLOURS, band_colours


def test_it_spreads_bands_over_the_palette_lightest_first():
    assert band_colours(6) == BAND_COLOURS
    assert band_colours(2) == [BAND_COLOURS[0], BAND_COLOURS[-1]]
    assert band_colours(4) == ["#ffffd4", "#fec44f", "#fe9929", "#993404"]


def test_it_gives_one_or_no_colour_for_one_or_no_band():
    assert band_colours(1) == [BAND_COLOURS[0]]
    assert band_colours(0) == []
