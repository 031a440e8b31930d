"""Markdown for product descriptions and terms, rendered safely.

Raw HTML is escaped, links only keep safe schemes (markdown-it refuses
javascript:, vbscript:, file: and data: URLs), and images are not rendered,
so a description can't load anything from another host.
"""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_renderer.disable("image")


def render(text: str) -> SafeString:
    """HTML for Markdown text; safe to insert into a page."""
    return mark_safe(_renderer.render(text or ""))  # noqa: S308 - html=False escapes input
