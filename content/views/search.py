"""The developer portal's search: one box in the top bar, one page of results.

What is found is what the viewer may see (an administrator's "View as"
shows the previewed person's results); content/search.py holds the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from content import search as portal_search
from portal import preview

# Each kind's heading, its nouns for one and for several, and the list that
# carries on with the same query.
KINDS = {
    "products": ("Products", "product", "products", "portal:products"),
    "apis": ("APIs", "API", "APIs", "portal:apis"),
    "pages": ("Pages", "page", "pages", None),
}


@dataclass(frozen=True)
class Section:
    found: portal_search.Found
    heading: str
    counted: str  # "1 product", "3 APIs"
    more_url: str | None


@login_not_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Products, APIs and pages matching every word of ?q=, for whoever looks."""
    viewer, _ = preview.viewer_for(request)
    # PostgreSQL refuses NUL in text; nobody means to search for one.
    query = request.GET.get("q", "").replace("\x00", "").strip()
    refusal = ""
    if len(query) > portal_search.MAX_QUERY_LENGTH:
        refusal = (
            f"Your search is {len(query)} characters long; a search can be up to "
            f"{portal_search.MAX_QUERY_LENGTH}. Shorten it to a few words and try again."
        )
    elif len(portal_search.search_words(query)) > portal_search.MAX_WORDS:
        # Each word is a case-insensitive match in every kind's texts.
        refusal = (
            f"Your search has {len(portal_search.search_words(query))} different words; "
            f"a search can have up to {portal_search.MAX_WORDS}. Keep the most "
            "distinctive ones and try again."
        )
    too_long = bool(refusal)
    found = [] if too_long else portal_search.find(viewer, query)
    sections = []
    for kind in found:
        heading, one, several, list_name = KINDS[kind.kind]
        more_url = None
        if kind.more and list_name:
            more_url = f"{reverse(list_name)}?{urlencode({'q': query})}"
        counted = f"{kind.count} {one if kind.count == 1 else several}"
        sections.append(Section(found=kind, heading=heading, counted=counted, more_url=more_url))
    return render(
        request,
        "content/search.html",
        {
            "query": query,
            "too_long": too_long,
            "refusal": refusal,
            "max_length": portal_search.MAX_QUERY_LENGTH,
            "max_words": portal_search.MAX_WORDS,
            "sections": [section for section in sections if section.found.hits],
            "counts": sections,
            "total": sum(kind.count for kind in found),
            "per_kind": portal_search.PER_KIND,
        },
    )
