"""Fixtures shared by the products tests: a Partners group, a member, products for it."""

from __future__ import annotations

from uuid import uuid4

import pytest

from groups import services as group_services
from products import services


@pytest.fixture
def partners(db):
    return group_services.create_group(name="partners", display_name="Partners")


@pytest.fixture
def member(developer, partners):
    """The developer, in Partners."""
    group_services.add_members(group=partners, users=[developer], added_by=None)
    return developer


@pytest.fixture
def make_product(partners):
    """A published product that Partners can see; fields override the defaults."""

    def make(**fields):
        slug = f"p-{uuid4().hex[:8]}"
        values = {
            "name": slug,
            "display_name": slug,
            "state": "published",
            "groups": [partners],
        } | fields
        return services.create_product(**values)

    return make
