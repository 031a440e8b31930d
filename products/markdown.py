"""Markdown for product descriptions and terms, rendered safely.

Raw HTML is escaped, links only keep safe schemes (markdown-it refuses
javascript:, vbscript:, file: and data: URLs), and images are not rendered,
so a description can't load anything from another host.
"""

from __future__ import annotations

import html
import re

from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_renderer.disable("image")


def render(text: str) -> SafeString:
    """HTML for Markdown text; safe to insert into a page."""
    return mark_safe(_renderer.render(text or ""))  # noqa: S308 - html=False escapes input


# Where one block of the rendered Markdown ends (a list nested in an item starts one).
_BLOCK_END = re.compile(
    r"</(?:p|li|h[1-6]|pre|blockquote|dt|dd|td|th)>|<(?:br|hr)\s*/?>|<(?:ul|ol)\b[^>]*>", re.I
)
_BREAK = "\x1f"  # the ASCII unit separator, which no description shows


def blocks(text: str) -> list[str]:
    """The text of each block (paragraph, list item, heading, cell) of rendered
    Markdown, its spaces collapsed, still HTML-escaped as the rendering left it.

    Stripping the tags alone ran the blocks together ("10 calls a second
    JSON over HTTPS").
    """
    marked = _BLOCK_END.sub(lambda end: end[0] + _BREAK, str(render(text)))
    found = (" ".join(block.split()) for block in strip_tags(marked).split(_BREAK))
    return [block for block in found if block]


def plain_text(text: str, separator: str = " · ") -> str:
    """Markdown reduced to its words, blocks kept apart by the separator: plain
    text, NOT escaped (a description's "<b>" comes back as those three characters)."""
    return separator.join(html.unescape(block) for block in blocks(text))
