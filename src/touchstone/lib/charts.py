"""The one sequential palette of every chart and severity band (pages, PDFs, portal).

ColorBrewer YlOrBr, sequential and colour-blind safe (Brewer 2002, colorbrewer2.org); a band
colour always travels with a text label.

Examples
--------
>>> band_colours(3)
['#ffffd4', '#fec44f', '#993404']
"""

from __future__ import annotations

BAND_COLOURS = ["#ffffd4", "#fee391", "#fec44f", "#fe9929", "#d95f0e", "#993404"]


def band_colours(n: int) -> list[str]:
    """``n`` colours spread over the sequential palette, lightest first."""
    if n <= 1:
        return BAND_COLOURS[:n]
    step = (len(BAND_COLOURS) - 1) / (n - 1)
    return [BAND_COLOURS[round(i * step)] for i in range(n)]
