from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from groups import services as group_services
from groups.models import Group
from portal.models import User


@pytest.fixture
def alice(make_user: Callable[..., User]) -> User:
    return make_user(email="alice@example.com", first_name="Alice", last_name="Ames")


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user(email="bob@example.com", first_name="Bob", last_name="Berg")


@pytest.fixture
def team(partners: Group, alice: User, bob: User) -> Group:
    """Partners, with Alice and Bob in it."""
    group_services.add_members(group=partners, users=[alice, bob], added_by=None)
    return partners


def decisions(review: Any) -> dict[str, tuple[str, str]]:
    """Each item's label: its decision and outcome."""
    return {item.label: (item.decision, item.outcome) for item in review.items.all()}
