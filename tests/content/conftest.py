from __future__ import annotations

from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse

from content.models import Page


@pytest.fixture(autouse=True)
def _page_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page's address while the pages' own route has not landed: /pages/<slug>/.

    Does nothing once `portal:page` exists.
    """
    try:
        reverse("portal:page", args=["any"])
    except NoReverseMatch:
        monkeypatch.setattr(Page, "get_absolute_url", lambda page: f"/pages/{page.slug}/")


@pytest.fixture
def make_page(db: None) -> Any:
    """A published page for everyone; fields override that, groups= shares it with groups."""

    def make(title: str, **fields: Any) -> Page:
        groups = fields.pop("groups", ())
        values = {
            "slug": "-".join(title.lower().split())[:100],
            "state": Page.State.PUBLISHED,
            "visibility": Page.Visibility.GROUPS if groups else Page.Visibility.EVERYONE,
        } | fields
        page = Page.objects.create(title=title, **values)
        for group in groups:
            page.links.create(group=group)
        return page

    return make
