"""Fixtures and helpers for the subscriptions tests; the shared ones are in the root conftest."""

from __future__ import annotations

from typing import Any

import pytest

from groups import services as group_services
from subscriptions.models import Subscription
from tests.conftest import fresh


@pytest.fixture
def approval_product(make_product):
    """Ledger: Partners see it, and an administrator approves each subscription."""
    return make_product("Ledger", approval_required=True)


@pytest.fixture
def colleague(make_user, partners):
    """Another developer in Partners."""
    person = make_user(email="colleague@example.com")
    group_services.add_members(group=partners, users=[person], added_by=None)
    return person


def row_state(subscription: Subscription) -> tuple[Any, ...]:
    """Every field a write to a subscription could change."""
    row = fresh(subscription)
    return (
        row.state,
        row.state_comment,
        row.activated_at,
        row.ended_at,
        row.suspended_for_access,
        row.version,
        row.primary_secret,
        row.secondary_secret,
    )
