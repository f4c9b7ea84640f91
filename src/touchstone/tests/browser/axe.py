"""Accessibility checks with axe-core (vendored in ./vendor, MPL-2.0), run inside the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()


def serious_violations(page: Any) -> list[str]:
    """axe-core violations of impact 'serious' or 'critical' on the current page."""
    # evaluate(), not a <script> tag: the page's CSP (rightly) refuses inline scripts.
    page.evaluate(AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
