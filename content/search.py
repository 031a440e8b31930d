"""Search across the developer portal: the products, APIs and pages someone may see.

Every word of the query must be found, whatever its case, in an item's name
or its text. What is searched is always `visible_to(viewer)` first, so a
hidden item is never found, counted or quoted. Each kind answers with two
queries (its count and its first rows), whatever the number of rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apis.models import Api
from content.models import Page
from groups.models import Viewer
from portal.lists import COUNT_AHEAD, MAX_QUERY_LENGTH, MoreThan
from portal.names import fold_name
from products.markdown import plain_text
from products.models import Product

# How many items of each kind the results page shows.
PER_KIND = 20
# How long a snippet is, in characters of plain text.
SNIPPET_LENGTH = 180
# How much Markdown around the first match is reduced to text for a snippet:
# a page's body may be 100,000 characters, and only a few lines are shown.
SNIPPET_WINDOW = 600

__all__ = ["MAX_QUERY_LENGTH", "MAX_WORDS", "PER_KIND", "Found", "Hit", "search_words", "find"]

# How many different words one search may hold: each is a case-insensitive
# match in every kind's names and texts (page bodies up to 100,000 characters).
MAX_WORDS = 10


def search_words(query: str) -> list[str]:
    """The query's words, each once (whatever its case), in the order typed."""
    seen: set[str] = set()
    words = []
    for word in query.split():
        if word.casefold() not in seen:
            seen.add(word.casefold())
            words.append(word)
    return words


def _every_word(words: list[str], *fields: str, folded: str | None = None) -> Q:
    """Each word in one of the fields (case-insensitively); `folded` is a
    casefolded copy of a name, which finds "Équipe" for "équipe" on SQLite too."""
    matched = Q()
    for word in words:
        one = Q(*(Q(**{f"{field}__icontains": word}) for field in fields), _connector=Q.OR)
        if folded:
            one |= Q(**{f"{folded}__contains": fold_name(word)})
        matched &= one
    return matched


def _name_first(rows: QuerySet[Any], in_name: Q, *order: str) -> QuerySet[Any]:
    """Items whose name holds every word first, then the others, each by name."""
    return rows.annotate(
        name_rank=Case(When(in_name, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("name_rank", *order)


def _count(rows: QuerySet[Any]) -> int:
    """How many rows match, counting no further than COUNT_AHEAD ("1,000+")."""
    seen = rows.order_by().values("pk")[: COUNT_AHEAD + 1].count()
    return MoreThan(seen) if seen > COUNT_AHEAD else seen


@dataclass(frozen=True)
class Hit:
    """One item found: its name and snippet with the query's words marked."""

    item: Any
    title: SafeString
    snippet: SafeString


@dataclass(frozen=True)
class Found:
    """One kind's results: the first PER_KIND hits and how many there are."""

    kind: str
    hits: list[Hit]
    count: int

    @property
    def more(self) -> bool:
        return self.count > len(self.hits)


def products(viewer: Viewer, words: list[str]) -> QuerySet[Product]:
    """Products the viewer may see with every word in their name or description."""
    in_name = _every_word(words, "display_name", folded="display_name_key")
    anywhere = _every_word(words, "display_name", "description", folded="display_name_key")
    return _name_first(
        Product.objects.visible_to(viewer).filter(anywhere), in_name, "display_name_key", "pk"
    ).only("name", "display_name", "description", "state")


def apis(viewer: Viewer, words: list[str]) -> QuerySet[Api]:
    """APIs the viewer may see with every word in their name, description or URL suffix."""
    in_name = _every_word(words, "display_name", folded="display_name_key")
    anywhere = _every_word(words, "display_name", "description", "path", folded="display_name_key")
    return _name_first(
        Api.objects.visible_to(viewer).filter(anywhere), in_name, "display_name_key", "pk"
    ).only("name", "display_name", "description", "path")


def pages(viewer: Viewer, words: list[str]) -> QuerySet[Page]:
    """Pages the viewer may open with every word in their title or body."""
    in_title = _every_word(words, "title")
    return _name_first(
        Page.objects.visible_to(viewer).search(" ".join(words)), in_title, "order", "title", "pk"
    ).only("title", "slug", "body", "state")


def find(viewer: Viewer, query: str) -> list[Found]:
    """The products, APIs and pages the viewer may see that match the query.

    Six queries at most, plus the one that reads the viewer's groups.
    """
    words = search_words(query)
    if not words:
        return []
    pattern = _pattern(words)
    found = []
    for kind, rows, title, text in (
        ("products", products(viewer, words), "display_name", "description"),
        ("apis", apis(viewer, words), "display_name", "description"),
        ("pages", pages(viewer, words), "title", "body"),
    ):
        shown = list(rows[:PER_KIND])
        count = len(shown) if len(shown) < PER_KIND else _count(rows)
        hits = [
            Hit(
                item=item,
                title=marked(getattr(item, title), pattern),
                snippet=snippet(getattr(item, text), pattern),
            )
            for item in shown
        ]
        found.append(Found(kind=kind, hits=hits, count=count))
    return found


# --- Snippets ---------------------------------------------------------------------------


def _pattern(words: list[str]) -> re.Pattern[str]:
    """Any of the words, longest first, whatever their case."""
    ordered = sorted(words, key=len, reverse=True)
    return re.compile("|".join(re.escape(word) for word in ordered), re.IGNORECASE)


def marked(text: str, pattern: re.Pattern[str]) -> SafeString:
    """Plain text, escaped, with each of the words found wrapped in <mark>."""
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match[0])}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text is escaped above


def snippet(markdown: str, pattern: re.Pattern[str]) -> SafeString:
    """A short plain-text extract of Markdown around the first word found, marked.

    Only a window of the Markdown around the match is reduced to text (a
    few lines, started at a line's beginning so that its markup reads
    whole), then cut at spaces to about SNIPPET_LENGTH characters.
    """
    markdown = markdown or ""
    match = pattern.search(markdown)
    at = match.start() if match else 0
    start = max(0, at - SNIPPET_WINDOW // 3)
    if start:
        line = markdown.rfind("\n", 0, start + 1)
        start = line + 1 if line >= 0 and start - line < SNIPPET_WINDOW // 3 else start
    end = min(len(markdown), at + SNIPPET_WINDOW)
    text = plain_text(markdown[start:end])
    extract = _around(text, pattern, cut_before=start > 0, cut_after=end < len(markdown))
    return marked(extract, pattern)


def _around(text: str, pattern: re.Pattern[str], *, cut_before: bool, cut_after: bool) -> str:
    """About SNIPPET_LENGTH characters of text around the first match, cut at spaces,
    with an ellipsis where text was left out."""
    match = pattern.search(text)
    start = 0
    if match and match.end() > SNIPPET_LENGTH:
        start = max(0, match.start() - SNIPPET_LENGTH // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < (match.start() if match else len(text)) else start
    end = start + SNIPPET_LENGTH
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    extract = text[start:end].strip()
    if not extract:
        return ""
    before = "… " if start > 0 or cut_before else ""
    after = " …" if end < len(text) or cut_after else ""
    return f"{before}{extract}{after}"
