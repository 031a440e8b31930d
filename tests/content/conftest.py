"""Pages to test the content app with; people and groups are in the root conftest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
def publish_page(db: None) -> Callable[..., Page]:
    """A published page for everyone; fields override that, groups= shares it with groups.

    Any title will do: the address is made from it (or numbered)."""

    def make(title: str, **fields: Any) -> Page:
        groups = fields.pop("groups", ())
        values = {
            "slug": slugify(title)[:100].strip("-") or f"page-{Page.objects.count() + 1}",
            "state": Page.State.PUBLISHED,
            "visibility": Page.Visibility.GROUPS if groups else Page.Visibility.EVERYONE,
        } | fields
        return services.create_page(title=title, groups=groups, **values)

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
