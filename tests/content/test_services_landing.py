"""Fixes made for the console: a new landing page takes the old one's place, and the
console's own path is no page's address."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from content import services
from content.models import Page


def test_creating_a_landing_page_takes_the_flag_from_the_old_one(db):
    old = services.create_page(title="Old", slug="old", is_landing=True)
    new = services.create_page(title="New", slug="new-home", is_landing=True)
    assert list(Page.objects.filter(is_landing=True)) == [new]
    assert not Page.objects.get(pk=old.pk).is_landing


def test_a_refused_landing_page_leaves_the_old_one_in_place(db):
    old = services.create_page(title="Old", slug="old", is_landing=True)
    with pytest.raises(ValidationError):
        services.create_page(title="", slug="broken", is_landing=True)
    assert Page.objects.get(pk=old.pk).is_landing


def test_new_is_no_page_address(db):
    with pytest.raises(ValidationError) as refused:
        services.create_page(title="New", slug="new")
    assert refused.value.message_dict == {"slug": ["“new” is reserved; choose another address."]}
    page = services.create_page(title="News", slug="news")
    with pytest.raises(ValidationError):
        services.update_page(page=page, expected_version=None, slug="new")
    assert not Page.objects.filter(slug="new").exists()
