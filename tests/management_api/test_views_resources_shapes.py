"""management_api.views.resources: what Azure's bodies carry beyond the plain entity (a
user's groups, a subscription's allowTracing), and the lists that carry them at a
constant number of queries."""

from __future__ import annotations

import pytest

from groups import services as group_services
from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from tests.conftest import fresh
from tests.management_api.helpers import assert_azure_error, url


@pytest.fixture
def tracked(developer, shared_product, administrator):
    return subscription_services.create_subscription(
        sid="tracked",
        owner=developer,
        product=shared_product,
        display_name="App",
        state="submitted",
        actor=administrator,
    )


def test_allow_tracing_is_false_unless_asked_for(api, tracked):
    assert api.get("subscriptions/tracked").json()["properties"]["allowTracing"] is False


def test_allow_tracing_sent_on_create_is_kept(api, developer, shared_product):
    response = api.put(
        "subscriptions/traced",
        {
            "scope": "/products/logistics",
            "ownerId": f"/users/{developer.api_id}",
            "displayName": "Traced",
            "allowTracing": True,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["properties"]["allowTracing"] is True
    assert Subscription.objects.get(sid="traced").allow_tracing is True


def test_allow_tracing_is_changed_by_patch_and_put_and_bumps_the_version(api, tracked):
    response = api.patch("subscriptions/tracked", {"allowTracing": True})
    assert response.status_code == 200, response.content
    assert response.json()["properties"]["allowTracing"] is True
    assert fresh(tracked).allow_tracing is True
    assert fresh(tracked).version > tracked.version
    response = api.put("subscriptions/tracked", {"displayName": "App", "allowTracing": False})
    assert response.status_code == 200, response.content
    assert fresh(tracked).allow_tracing is False


def test_allow_tracing_left_out_or_null_keeps_what_it_was(api, tracked):
    api.patch("subscriptions/tracked", {"allowTracing": True})
    assert api.patch("subscriptions/tracked", {"displayName": "Renamed"}).status_code == 200
    assert api.patch("subscriptions/tracked", {"allowTracing": None}).status_code == 200
    assert fresh(tracked).allow_tracing is True


@pytest.mark.parametrize("value", ["true", 1, "yes", [], {}])
def test_allow_tracing_that_is_no_boolean_is_400_naming_it(api, tracked, value):
    response = api.patch("subscriptions/tracked", {"allowTracing": value, "displayName": "New"})
    error = assert_azure_error(response, 400, "ValidationError")
    assert "allowTracing" in error["message"]
    assert fresh(tracked).display_name == "App"
    assert fresh(tracked).allow_tracing is False


def test_user_body_carries_its_groups(api, member):
    groups = api.get(f"users/{member.api_id}").json()["properties"]["groups"]
    assert [group["displayName"] for group in groups] == ["Developers", "Partners"]
    assert set(groups[1]) == {"displayName", "description", "builtIn", "type", "externalId"}


def test_user_groups_sent_back_are_ignored_as_read_only(api, member):
    data = api.get(f"users/{member.api_id}").json()["properties"]
    response = api.patch(f"users/{member.api_id}", {**data, "firstName": "Renamed"})
    assert response.status_code == 200, response.content
    assert fresh(member).first_name == "Renamed"


@pytest.mark.parametrize(("path", "queries"), [("users", 5), ("groups/partners/users", 6)])
def test_user_lists_with_groups_take_the_same_queries_for_few_and_many(
    client, bearer, make_user, partners, beta, assert_queries_do_not_grow, path, queries
):
    def grow(numbers):
        people = [make_user(password=None) for _ in numbers]
        group_services.add_members(group=partners, users=people, added_by=None)
        group_services.add_members(group=beta, users=people[::2], added_by=None)

    client.defaults.update(bearer)
    # A first call notes the token's use, which later calls within the
    # minute leave be. Then: the token; the group, for a group's members;
    # the count; the page; the system groups; the page's stored memberships
    # with their groups.
    assert client.get(url(path)).status_code == 200
    _, second = assert_queries_do_not_grow(url(path), grow, queries, few=3, many=60)
    groups = [
        {g["displayName"] for g in item["properties"]["groups"]} for item in second.json()["value"]
    ]
    assert sum("Partners" in names for names in groups) == 60
    assert sum("Beta testers" in names for names in groups) == 2 + 29  # every other one
