"""Colour arithmetic for the portal's accent: WCAG contrast, and the nearest darker shade
of a colour that reaches it.

The accent is the top bar's background (white text on it), the primary
buttons' background (white text) and the links' colour on white, so each
use is the accent against white.
"""

from __future__ import annotations

import colorsys
import math
import re

from django.core.exceptions import ValidationError

HEX_COLOUR = re.compile(r"^#[0-9a-f]{6}$")
WHITE = "#ffffff"
# WCAG 2 AA for normal text.
AA = 4.5


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def hex_colour(red: float, green: float, blue: float) -> str:
    """#rrggbb from channels in 0..1."""
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in (red, green, blue))


def luminance(colour: str) -> float:
    """WCAG 2's relative luminance of a #rrggbb colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(value) for value in rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: str, other: str) -> float:
    """WCAG 2's contrast ratio of two colours, from 1 to 21."""
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def shown_ratio(ratio: float) -> str:
    """A ratio as people read it, never rounded up past the bar (4.496 is 4.49:1, not 4.5:1)."""
    return f"{math.floor(ratio * 100) / 100:.2f}:1"


def darker_shade_that_passes(colour: str) -> str:
    """The lightest shade of the colour's hue and saturation that reaches AA against white."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*(c / 255 for c in rgb(colour)))
    low, high = 0.0, lightness
    # Black passes (21:1); halve towards the lightest passing lightness.
    for _ in range(30):
        middle = (low + high) / 2
        if contrast(hex_colour(*colorsys.hls_to_rgb(hue, middle, saturation)), WHITE) >= AA:
            low = middle
        else:
            high = middle
    shade = hex_colour(*colorsys.hls_to_rgb(hue, low, saturation))
    # Rounding to whole channels may land a hair under the bar: step down.
    while contrast(shade, WHITE) < AA:
        low -= 0.002
        shade = hex_colour(*colorsys.hls_to_rgb(hue, max(low, 0.0), saturation))
    return shade


def contrast_refusal(colour: str) -> str:
    """Why the accent can't carry white text (with a shade that can), or "" when it can."""
    ratio = contrast(colour, WHITE)
    if ratio >= AA:
        return ""
    return (
        f"White text on {colour} has a contrast of {shown_ratio(ratio)}; the top bar, "
        f"buttons and links need at least 4.5:1 (WCAG AA). "
        f"Try {darker_shade_that_passes(colour)}, the nearest darker shade that does."
    )


def validate_accent(colour: str) -> None:
    """A #rrggbb colour (lower case) that white text can be read on."""
    if not HEX_COLOUR.match(colour or ""):
        raise ValidationError("Use a colour like #1f4e79.", code="invalid_colour")
    refusal = contrast_refusal(colour)
    if refusal:
        raise ValidationError(refusal, code="low_contrast")


def validate_portal_name(name: str) -> None:
    """A name with something besides spaces in it and no control characters."""
    if not (name or "").strip():
        raise ValidationError("Give the portal a name.", code="blank_name")
    if any(ord(c) < 32 or 127 <= ord(c) < 160 or c in "\u2028\u2029" for c in name):
        raise ValidationError(
            "Use letters, digits, spaces and punctuation, not control characters.",
            code="control_characters",
        )
