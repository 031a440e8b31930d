from __future__ import annotations

from typing import Any

import pytest
from django.utils.text import slugify

from content.models import Page


@pytest.fixture
def make_page(db: None) -> Any:
    """A published page for everyone; fields override that, groups= shares it with groups."""

    def make(title: str, **fields: Any) -> Page:
        groups = fields.pop("groups", ())
        values = {
            "slug": slugify(title)[:100].strip("-") or f"page-{Page.objects.count() + 1}",
            "state": Page.State.PUBLISHED,
            "visibility": Page.Visibility.GROUPS if groups else Page.Visibility.EVERYONE,
        } | fields
        page = Page.objects.create(title=title, **values)
        for group in groups:
            page.links.create(group=group)
        return page

    return make
