"""Pages for each audience, and a helper to make more."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest

from content import services
from content.models import Page


@pytest.fixture
def make_page(db: None) -> Callable[..., Page]:
    """A published page meant for everyone, in no menu; fields override that."""

    def make(title: str | None = None, **fields: Any) -> Page:
        title = title or f"Page {uuid4().hex[:6]}"
        values = {
            "title": title,
            "slug": fields.pop("slug", None) or title.lower().replace(" ", "-"),
            "body": f"About {title}.",
            "state": Page.State.PUBLISHED,
        } | fields
        return services.create_page(**values)

    return make


@pytest.fixture
def pages(make_page, partners, others) -> dict[str, Page]:
    """One top-menu page for each way of being seen, by address."""
    make_page("Everyone", menu="top", order=1)
    make_page("Signed in", menu="top", order=2, visibility="signedIn")
    make_page("Partners only", menu="top", order=3, visibility="groups", groups=[partners])
    make_page("Others only", menu="footer", order=4, visibility="groups", groups=[others])
    make_page("Nobody chosen", menu="top", order=5, visibility="groups")
    make_page("Draft", menu="top", order=6, state=Page.State.DRAFT)
    # Linked to Partners but meant for everyone: the links don't narrow it.
    make_page("Terms", menu="footer", order=7, groups=[partners])
    return {page.slug: page for page in Page.objects.exclude(slug="welcome")}


# Who sees which of `pages`, as a page's address.
EVERYONE = {"everyone", "terms"}
SIGNED_IN = EVERYONE | {"signed-in"}
PARTNERS = SIGNED_IN | {"partners-only"}
OTHERS = SIGNED_IN | {"others-only"}
ALL = SIGNED_IN | {"partners-only", "others-only", "nobody-chosen", "draft"}
