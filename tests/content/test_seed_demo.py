"""The demo's pages: one for everyone, one for Partners, one in the footer; added once."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from content import menus
from content.models import Page, PageVersion
from portal.models import User


@pytest.mark.django_db
def test_seed_demo_adds_its_pages_once():
    call_command("seed_demo", password="demo-password-123", verbosity=0)
    call_command("seed_demo", password="demo-password-123", verbosity=0)

    pages = {page.slug: page for page in Page.objects.all()}
    assert set(pages) == {"welcome", "getting-started", "partner-onboarding", "terms-of-use"}
    assert PageVersion.objects.filter(page=pages["getting-started"]).count() == 1
    assert list(pages["partner-onboarding"].groups.values_list("name", flat=True)) == ["partners"]
    alice = User.objects.get(email="alice@example.com")
    bob = User.objects.get(email="bob@example.com")
    assert [(p.menu, p.title) for p in menus.menu_pages(alice)] == [
        ("top", "Getting started"),
        ("footer", "Terms of use"),
        ("top", "Partner onboarding"),
    ]
    assert [p.title for p in menus.menu_pages(bob)] == ["Getting started", "Terms of use"]
