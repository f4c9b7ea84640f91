"""The body-map region catalogue: ids, labels and the simple shapes the SVG draws.

A visit's body map is stored as ``{region_code: level}``, level 0 (none) to 3 (severe
tension). Shapes are hand-drawn ellipses and rectangles in a 400 x 440 viewBox: the front
figure centred at x = 100, the back at x = 300. The client's left is on the viewer's right in
the front view and on the viewer's left in the back view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

LEVELS = (0, 1, 2, 3)
LEVEL_LABELS = {0: "none", 1: "mild", 2: "moderate", 3: "severe"}


@dataclass(frozen=True)
class Region:
    code: str
    label: str
    view: str  # "front" or "back"
    shape: str  # "ellipse" or "rect"
    x: float  # centre
    y: float
    w: float  # full width / height
    h: float

    @property
    def svg(self) -> dict[str, float]:
        if self.shape == "ellipse":
            return {"cx": self.x, "cy": self.y, "rx": self.w / 2, "ry": self.h / 2}
        return {
            "x": self.x - self.w / 2,
            "y": self.y - self.h / 2,
            "width": self.w,
            "height": self.h,
            "rx": 6,
        }


def _pair(
    code: str, label: str, view: str, shape: str, dx: float, y: float, w: float, h: float
) -> list[Region]:
    centre = 100 if view == "front" else 300
    # Front view: the client's right is on the viewer's left; back view: the other way round.
    sign = -1 if view == "front" else 1
    return [
        Region(f"{code}_r", f"Right {label}", view, shape, centre + sign * dx, y, w, h),
        Region(f"{code}_l", f"Left {label}", view, shape, centre - sign * dx, y, w, h),
    ]


# fmt: off
REGIONS: tuple[Region, ...] = (
    Region("jaw", "Jaw", "front", "ellipse", 100, 48, 30, 14),
    Region("neck_front", "Neck (front)", "front", "rect", 100, 70, 22, 18),
    *_pair("shoulder", "shoulder", "front", "ellipse", 36, 92, 30, 22),
    Region("chest", "Chest", "front", "rect", 100, 112, 56, 40),
    *_pair("upper_arm", "upper arm", "front", "rect", 46, 130, 16, 48),
    Region("abdomen", "Abdomen", "front", "rect", 100, 160, 50, 48),
    *_pair("forearm", "forearm", "front", "rect", 52, 182, 14, 46),
    *_pair("hip", "hip", "front", "ellipse", 17, 200, 24, 24),
    *_pair("hand", "hand", "front", "ellipse", 55, 222, 16, 22),
    *_pair("thigh_front", "thigh (front)", "front", "rect", 15, 250, 24, 66),
    *_pair("knee", "knee", "front", "ellipse", 15, 296, 20, 20),
    *_pair("shin", "shin", "front", "rect", 15, 340, 18, 60),
    *_pair("foot", "foot", "front", "ellipse", 17, 388, 24, 14),
    Region("occiput", "Back of the head", "back", "ellipse", 300, 36, 34, 26),
    Region("neck_back", "Neck (back)", "back", "rect", 300, 66, 22, 16),
    *_pair("upper_trapezius", "upper trapezius", "back", "ellipse", 24, 84, 30, 16),
    Region("upper_back", "Upper back", "back", "rect", 300, 108, 56, 28),
    *_pair("upper_arm_back", "upper arm (back)", "back", "rect", 46, 130, 16, 48),
    Region("mid_back", "Mid back", "back", "rect", 300, 138, 50, 26),
    Region("lower_back", "Lower back", "back", "rect", 300, 168, 48, 28),
    *_pair("gluteal", "gluteal", "back", "ellipse", 14, 204, 26, 30),
    *_pair("hamstring", "hamstring", "back", "rect", 15, 256, 24, 62),
    *_pair("calf", "calf", "back", "rect", 15, 335, 20, 60),
)
# fmt: on

BY_CODE = {region.code: region for region in REGIONS}


def validate_body_map(value: Any) -> None:
    """A body map is ``{region_code: level}`` with known regions and levels 0-3."""
    if not isinstance(value, dict):
        raise ValidationError("The body map must map regions to levels.")
    unknown = sorted(code for code in value if code not in BY_CODE)
    if unknown:
        raise ValidationError(f"Unknown body-map region: {', '.join(unknown)}.")
    bad = sorted(
        code
        for code, level in value.items()
        if isinstance(level, bool) or not isinstance(level, int) or level not in LEVELS
    )
    if bad:
        raise ValidationError(f"Body-map levels are 0 to 3 (check {', '.join(bad)}).")


def compact(value: dict[str, int]) -> dict[str, int]:
    """Drop the zero levels: a region not listed has no tension."""
    return {code: level for code, level in value.items() if level}
