"""The portal's top bar meets WCAG AA (4.5:1) for its links and the signed-in email: the
colours are read from the stylesheet and template, and the contrast ratio computed."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

AA = 4.5
ROOT = Path(settings.BASE_DIR)
CSS = (ROOT / "static" / "css" / "portico.css").read_text()
BASE = (ROOT / "templates" / "portal" / "base.html").read_text()


def variable(name: str) -> str:
    match = re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})\s*;", CSS)
    assert match, f"--{name} is not a #rrggbb colour in portico.css"
    return match[1]


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_matches_wcags_examples():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#767676", "#ffffff"), 2) == 4.54


def test_the_top_bars_text_colour_reaches_aa_on_the_bar():
    assert contrast(variable("portico-topbar-text"), variable("portico-blue")) >= AA


def test_the_top_bars_links_and_email_use_that_colour():
    # Bootstrap's nav links and .navbar-text take their colour from --bs-navbar-color.
    rule = re.search(r"\.navbar\.bg-portico\s*\{([^}]*)\}", CSS)
    assert rule, "no .navbar.bg-portico rule in portico.css"
    assert re.search(r"--bs-navbar-color:\s*var\(--portico-topbar-text\)", rule[1])
    nav = re.search(r"<nav [^>]*bg-portico.*?</nav>", BASE, re.S)
    assert nav, "the portal's top bar is not a <nav> with bg-portico"
    # Bootstrap's translucent white utilities are under AA on the bar (text-white-50: 3.46:1).
    assert not re.search(r"text-white-(?:50|75)|text-body-secondary|text-muted", nav[0])
    assert 'class="navbar-text' in nav[0]
