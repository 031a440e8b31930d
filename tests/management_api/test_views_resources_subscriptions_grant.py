"""management_api.views.resources: PUT subscriptions/{sid} by an administrator's token is a
grant, made for a developer who can't see the product too, as Azure makes it."""

from __future__ import annotations

import pytest

from portal.models import User
from products import services as product_services
from products.models import Product
from subscriptions.models import Subscription
from tests.management_api.helpers import assert_azure_error, body, url


@pytest.fixture
def secret(db):
    """Secret: published, shared with no group, so only administrators see it."""
    return product_services.create_product(
        name="secret", display_name="Secret", state=Product.State.PUBLISHED
    )


def properties(owner: User, **more: object) -> dict[str, object]:
    return {"scope": "/products/secret", "ownerId": f"/users/{owner.api_id}", **more}


def test_a_grant_without_a_state_is_submitted_as_azure_makes_it(
    api, administrator, developer, secret
):
    """Azure's default for its API, even for a product that needs no approval."""
    response = api.put("subscriptions/given", properties(developer, displayName="Given"))
    assert response.status_code == 201
    shown = response.json()["properties"]
    assert (shown["state"], shown["displayName"], shown["startDate"]) == (
        "submitted",
        "Given",
        None,
    )
    made = Subscription.objects.get(sid="given")
    assert (made.granted, made.granted_by, made.beyond_sight) == (True, administrator, True)


def test_a_grant_in_the_active_state(api, developer, secret):
    response = api.put(
        "subscriptions/given", properties(developer, displayName="G", state="active")
    )
    assert response.status_code == 201
    assert response.json()["properties"]["state"] == "active"
    assert response.json()["properties"]["startDate"]
    keys = api.post("subscriptions/given/listSecrets").json()
    assert keys["primaryKey"] != keys["secondaryKey"]


def test_a_grant_for_a_blocked_account_is_400_naming_the_owner(api, blocked_user, secret):
    response = api.put("subscriptions/given", properties(blocked_user, displayName="G"))
    assert_azure_error(response, 400, "ValidationError")
    details = response.json()["error"]["details"]
    assert [detail["target"] for detail in details] == ["ownerId"]
    assert "blocked@example.com is blocked" in details[0]["message"]
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(("query", "emails"), [({"notify": "true"}, 1), ({}, 0)])
def test_notify_emails_the_developer(
    client, bearer, developer, secret, mailoutbox, django_capture_on_commit_callbacks, query, emails
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(
            url("subscriptions/given", **query),
            body(**properties(developer, displayName="Given")),
            "application/json",
            **bearer,
        )
    assert response.status_code == 201
    assert [message.to for message in mailoutbox] == [[developer.email]] * emails


@pytest.mark.parametrize("who", ["developer", "support_staff"])
def test_a_token_of_someone_not_an_administrator_grants_nothing(
    client, bearer_for, request, outsider, secret, who
):
    response = client.put(
        url("subscriptions/given"),
        body(**properties(outsider, displayName="G")),
        "application/json",
        **bearer_for(request.getfixturevalue(who)),
    )
    assert_azure_error(response, 403, "AuthorizationFailed")
    assert not Subscription.objects.exists()
