"""APIs in the products of the portal's shelf, one for each way of being seen."""

from __future__ import annotations

import re
from typing import Any

import pytest

from apis import services as api_services
from apis.models import Api
from groups import services as group_services
from portal.models import User

GUEST_APIS = {"forecasts", "guest-only"}
DEVELOPER_APIS = {"forecasts", "billing"}
PARTNER_APIS = DEVELOPER_APIS | {"shipments"}
ALL_APIS = {"forecasts", "guest-only", "billing", "shipments", "drafts", "loose"}


@pytest.fixture
def api_shelf(shelf: dict[str, Any], make_api: Any, beta: Any) -> dict[str, Api]:
    """Forecasts (Weather: guests and developers), Guest only (Visitors Only), Billing
    (Payments: developers), Shipments (Partner Deals: partners; its Admin tag only for
    Beta testers), Drafts (an unpublished product) and Loose (in no product)."""
    make_api("Forecasts", products=[shelf["weather"]])
    make_api("Guest only", products=[shelf["visitors-only"]])
    make_api("Billing", products=[shelf["payments"]])
    shipments = make_api("Shipments", products=[shelf["partner-deals"]])
    make_api("Drafts", products=[shelf["draft-plans"]])
    make_api("Loose")
    api_services.restrict(api=shipments, kind="tag", target="Admin", groups=[beta], added_by=None)
    return {api.name: api for api in Api.objects.all()}


@pytest.fixture
def other_member(make_user: Any, others: Any) -> User:
    """A developer in another custom group (Others), not in Partners."""
    user = make_user(email="other@example.com")
    group_services.add_members(group=others, users=[user], added_by=None)
    return user


@pytest.fixture
def beta_member(member: User, beta: Any) -> User:
    """The Partners member, also in Beta testers: sees Shipments' Admin operations."""
    group_services.add_members(group=beta, users=[member], added_by=None)
    return member


def shown_apis(response: Any) -> list[str]:
    """The API IDs a portal page links to, in page order."""
    assert response.status_code == 200
    return re.findall(r'href="/apis/([A-Za-z0-9._-]+)/"', response.content.decode())
