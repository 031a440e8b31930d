"""Pages to test the content app with; people and groups are in the root conftest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from django.utils.text import slugify

from content import services
from content.models import Page


@pytest.fixture
def make_page(db: None) -> Callable[..., Page]:
    """A page through the service; its address comes from the title unless given."""

    def make(title: str = "Getting started", **fields: Any) -> Page:
        slug = fields.pop("slug", None) or title.lower().replace(" ", "-")
        return services.create_page(**{"title": title, "slug": slug} | fields)

    return make


@pytest.fixture
def make_portal_page(db: None) -> Callable[..., Page]:
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
def publish_page(make_portal_page: Callable[..., Page]) -> Callable[..., Page]:
    """A published page for everyone, or for the groups given as groups=; any title
    will do (the address is made from it, or numbered)."""

    def make(title: str, **fields: Any) -> Page:
        groups = fields.get("groups", ())
        values = {
            "slug": slugify(title)[:100].strip("-") or f"page-{Page.objects.count() + 1}",
            "visibility": Page.Visibility.GROUPS if groups else Page.Visibility.EVERYONE,
        } | fields
        return make_portal_page(title, **values)

    return make


@pytest.fixture
def guide(make_page: Callable[..., Page]) -> Page:
    """A published page for everyone, in the top menu."""
    return make_page(
        "Getting started",
        body="# Welcome\n\nFirst *steps*.",
        state=Page.State.PUBLISHED,
        menu=Page.Menu.TOP,
    )


def page_form(page: Page | None = None, **overrides: Any) -> dict[str, Any]:
    """The create or Settings form as rendered for a page, with some changes;
    None leaves a field (a checkbox) out."""
    data: dict[str, Any] = {
        "title": page.title if page else "Getting started",
        "slug": page.slug if page else "getting-started",
        "visibility": page.visibility if page else Page.Visibility.EVERYONE,
        "menu": page.menu if page else Page.Menu.NONE,
        "order": page.order if page else 0,
        "body": page.body if page else "Hello",
        "is_landing": "on" if page and page.is_landing else None,
    }
    if page is not None:
        data["version"] = page.version
    data |= overrides
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def pages(make_portal_page, partners, others) -> dict[str, Page]:
    """One top-menu page for each way of being seen, by address."""
    make_portal_page("Everyone", menu="top", order=1)
    make_portal_page("Signed in", menu="top", order=2, visibility="signedIn")
    make_portal_page("Partners only", menu="top", order=3, visibility="groups", groups=[partners])
    make_portal_page("Others only", menu="footer", order=4, visibility="groups", groups=[others])
    make_portal_page("Nobody chosen", menu="top", order=5, visibility="groups")
    make_portal_page("Draft", menu="top", order=6, state=Page.State.DRAFT)
    # Linked to Partners but meant for everyone: the links don't narrow it.
    make_portal_page("Terms", menu="footer", order=7, groups=[partners])
    return {page.slug: page for page in Page.objects.exclude(slug="welcome")}


# Who sees which of `pages`, as a page's address.
EVERYONE = {"everyone", "terms"}
SIGNED_IN = EVERYONE | {"signed-in"}
PARTNERS = SIGNED_IN | {"partners-only"}
OTHERS = SIGNED_IN | {"others-only"}
ALL = SIGNED_IN | {"partners-only", "others-only", "nobody-chosen", "draft"}
