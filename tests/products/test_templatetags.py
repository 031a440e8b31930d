"""products_tags: the summary filter cards use instead of markdown|striptags|truncatechars."""

from __future__ import annotations

import pytest
from django.template import engines

DESCRIPTIONS = [
    "",
    "Take **payments** in [many currencies](https://example.com).",
    "<script>alert(1)</script> and <b>bold</b> & co",
    "A < B > C &amp; D",
    "# Title\n\n- one\n- two\n\n```\ncode <here>\n```",
    "x" * 400,
    "Éclair " * 60,
]


def render(source: str, text: str) -> str:
    return engines["django"].from_string("{% load products_tags %}" + source).render({"t": text})


@pytest.mark.parametrize("text", DESCRIPTIONS)
@pytest.mark.parametrize("length", [140, 160])
def test_summary_renders_as_the_filter_chain_it_replaces(text, length):
    chain = render(f"{{{{ t|markdown|striptags|truncatechars:{length} }}}}", text)
    assert render(f"{{{{ t|summary:{length} }}}}", text) == chain


def test_summary_never_lets_markup_through():
    shown = render("{{ t|summary:160 }}", "<img src=x onerror=alert(1)> <script>x</script>")
    assert "<img" not in shown
    assert "<script" not in shown


def test_summary_follows_the_text_not_a_key():
    assert render("{{ t|summary:160 }}", "First *text*").strip() == "First text"
    assert render("{{ t|summary:160 }}", "Second *text*").strip() == "Second text"
