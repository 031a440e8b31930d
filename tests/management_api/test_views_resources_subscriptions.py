"""management_api.views.resources: subscriptions, their keys and their states through the
management API."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from products import services as product_services
from products.models import Product
from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from tests.conftest import fresh
from tests.management_api.helpers import (
    SERVICE,
    assert_azure_error,
    body,
    names,
    url,
)
from tests.subscriptions.conftest import row_state


@pytest.mark.parametrize("full_ids", [False, True], ids=["short-ids", "resource-ids"])
def test_subscription_put_with_scope_and_owner(api, developer, shared_product, full_ids):
    prefix = SERVICE if full_ids else ""
    response = api.put(
        "subscriptions/dev-logistics",
        {
            "scope": f"{prefix}/products/logistics",
            "ownerId": f"{prefix}/users/{developer.api_id}",
            "displayName": "Developer's app",
        },
    )
    assert response.status_code == 201
    assert response["ETag"]
    properties = response.json()["properties"]
    assert properties["state"] == "submitted"
    assert properties["scope"] == f"{SERVICE}/products/logistics"
    assert properties["ownerId"] == f"{SERVICE}/users/{developer.api_id}"
    subscription = Subscription.objects.get(sid="dev-logistics")
    assert (subscription.owner, subscription.product) == (developer, shared_product)
    assert subscription.state == Subscription.State.SUBMITTED


def test_subscription_put_active(api, developer, shared_product):
    response = api.put(
        "subscriptions/dev-logistics",
        {
            "scope": "/products/logistics",
            "ownerId": f"/users/{developer.api_id}",
            "displayName": "App",
            "state": "active",
        },
    )
    assert response.status_code == 201
    assert response.json()["properties"]["state"] == "active"
    assert response.json()["properties"]["startDate"]


def test_subscription_put_again_with_the_same_body_updates(api, developer, shared_product):
    """Azure's create_or_update is repeatable: the SDK always sends scope and owner."""
    properties = {
        "scope": "/products/logistics",
        "ownerId": f"/users/{developer.api_id}",
        "displayName": "App",
    }
    assert api.put("subscriptions/dev-logistics", properties).status_code == 201
    again = api.put("subscriptions/dev-logistics", {**properties, "displayName": "Renamed"})
    assert again.status_code == 200, again.content
    assert Subscription.objects.get(sid="dev-logistics").display_name == "Renamed"


def test_subscription_put_for_a_developer_who_cannot_see_the_product_grants_it(
    api, administrator, developer, db
):
    """Azure makes it; Portico too, marked as granted (more in ..._grant.py)."""
    product_services.create_product(
        name="secret", display_name="Secret", state=Product.State.PUBLISHED
    )
    response = api.put(
        "subscriptions/dev-secret",
        {"scope": "/products/secret", "ownerId": f"/users/{developer.api_id}", "displayName": "X"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["properties"]["state"] == "submitted"
    granted = Subscription.objects.get(sid="dev-secret")
    assert (granted.owner, granted.granted, granted.granted_by) == (developer, True, administrator)
    assert granted.beyond_sight


def test_subscription_put_beyond_the_products_limit_is_400(api, developer, shared_product):
    product_services.update_product(
        product=shared_product, expected_version=None, subscriptions_limit=1
    )
    properties = {"scope": "/products/logistics", "ownerId": f"/users/{developer.api_id}"}
    first = api.put("subscriptions/first", {**properties, "displayName": "First"})
    assert first.status_code == 201
    second = api.put("subscriptions/second", {**properties, "displayName": "Second"})
    assert second.status_code == 400
    assert "limit" in second.json()["error"]["message"].lower()
    assert list(Subscription.objects.values_list("sid", flat=True)) == ["first"]


@pytest.mark.parametrize(
    ("properties", "status"),
    [
        ({"displayName": "X"}, 400),
        ({"scope": "/apis/echo", "displayName": "X"}, 404),
        ({"scope": "/apis", "displayName": "X"}, 400),
        ({"scope": "/users/echo", "displayName": "X"}, 400),
        ({"scope": "/products/nothing", "displayName": "X"}, 404),
        ({"scope": "/products/logistics", "ownerId": "/users/nobody", "displayName": "X"}, 404),
        ({"scope": "/products/logistics"}, 400),
    ],
)
def test_subscription_put_with_bad_references(api, shared_product, properties, status):
    response = api.put("subscriptions/bad", properties)
    assert response.status_code == status
    assert response.json()["error"]["message"]
    assert not Subscription.objects.exists()


def test_unknown_subscription_state_on_create_is_400(client, bearer, logistics):
    response = client.put(
        url("subscriptions/standalone"),
        body(scope="/products/logistics", displayName="Standalone", state="cancelled"),
        "application/json",
        **bearer,
    )
    assert_azure_error(response, 400, "ValidationError")
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_subscription_keys_chosen_by_the_caller_are_checked(api, developer, developers):
    product_services.create_product(
        name="keyed", display_name="Keyed", state="published", groups=[developers]
    )
    base = {
        "scope": "/products/keyed",
        "ownerId": f"/users/{developer.api_id}",
        "displayName": "Keyed",
        "state": "active",
    }
    short = api.put("subscriptions/short", {**base, "primaryKey": "abc"})
    assert short.status_code == 400
    assert short.json()["error"]["details"][0]["target"] == "primaryKey"
    good = "k" * 40
    assert api.put("subscriptions/first", {**base, "primaryKey": good}).status_code == 201
    reused = api.put("subscriptions/second", {**base, "secondaryKey": good})
    assert reused.status_code == 400
    assert "already in use" in reused.json()["error"]["message"]


@pytest.fixture
def dev_logistics(administrator, developer, shared_product):
    return subscription_services.create_subscription(
        sid="dev-logistics",
        owner=developer,
        product=shared_product,
        display_name="App",
        actor=administrator,
        state="submitted",
    )


def test_subscription_reads_never_contain_keys(api, dev_logistics):
    secrets = [dev_logistics.primary_secret, dev_logistics.secondary_secret]
    renamed = api.patch("subscriptions/dev-logistics", {"displayName": "Renamed"})
    responses = [
        api.get("subscriptions/dev-logistics"),
        api.get("subscriptions"),
        api.get("products/logistics/subscriptions"),
        api.get(f"users/{dev_logistics.owner.api_id}/subscriptions"),
        renamed,
    ]
    for response in responses:
        assert response.status_code == 200
        text = response.content.decode()
        assert "primaryKey" not in text and "secondaryKey" not in text
        assert not any(secret in text for secret in secrets)


def test_subscription_lists(api, administrator, dev_logistics, make_user, shared_product):
    other = make_user()
    subscription_services.create_subscription(
        sid="other",
        owner=other,
        product=shared_product,
        display_name="Other",
        actor=administrator,
        state="submitted",
    )
    assert names(api.get("subscriptions")) == ["dev-logistics", "other"]
    assert names(api.get("products/logistics/subscriptions")) == ["dev-logistics", "other"]
    assert names(api.get(f"users/{other.api_id}/subscriptions")) == ["other"]
    assert names(api.get("subscriptions", **{"$filter": "state eq 'submitted'"})) == [
        "dev-logistics",
        "other",
    ]


# One of a user's subscriptions (Azure's User Subscription - Get, the SDK's user_subscription.get)


def test_user_subscription_get_answers_the_subscription(api, dev_logistics):
    response = api.get(f"users/{dev_logistics.owner.api_id}/subscriptions/dev-logistics")
    assert response.status_code == 200
    assert response["ETag"]
    data, plain = response.json(), api.get("subscriptions/dev-logistics").json()
    owner = dev_logistics.owner.api_id
    assert data["id"] == f"{SERVICE}/users/{owner}/subscriptions/dev-logistics"
    assert data["type"] == "Microsoft.ApiManagement/service/users/subscriptions"
    assert (data["name"], data["properties"]) == (plain["name"], plain["properties"])
    text = response.content.decode()
    assert dev_logistics.primary_secret not in text and "primaryKey" not in text


def test_user_subscription_get_of_another_users_subscription_is_404(api, dev_logistics, make_user):
    other = make_user()
    response = api.get(f"users/{other.api_id}/subscriptions/dev-logistics")
    assert_azure_error(response, 404, "ResourceNotFound")


@pytest.mark.parametrize(
    "path", ["users/nobody/subscriptions/dev-logistics", "users/{owner}/subscriptions/missing"]
)
def test_user_subscription_get_of_what_is_missing_is_404(api, dev_logistics, path):
    response = api.get(path.format(owner=dev_logistics.owner.api_id))
    assert_azure_error(response, 404, "ResourceNotFound")


@pytest.mark.parametrize("method", ["put", "delete"])
def test_user_subscription_is_read_only(api, dev_logistics, method):
    path = f"users/{dev_logistics.owner.api_id}/subscriptions/dev-logistics"
    response = api.put(path, {"displayName": "x"}) if method == "put" else api.delete(path)
    assert_azure_error(response, 405, "MethodNotAllowed")
    assert fresh(dev_logistics).display_name == "App"


@pytest.mark.parametrize("who", [None, "owner", "outsider", "support_staff", "blocked_admin"])
def test_user_subscription_get_is_refused_to_all_but_administrators(
    client, dev_logistics, bearer_for, request, make_user, who
):
    path = url(f"users/{dev_logistics.owner.api_id}/subscriptions/dev-logistics")
    if who is None:
        assert_azure_error(client.get(path), 401, "AuthenticationFailed")
        return
    person = {
        "owner": lambda: dev_logistics.owner,
        "blocked_admin": lambda: make_user(is_superuser=True, is_staff=True, state="blocked"),
    }.get(who, lambda: request.getfixturevalue(who))()
    assert_azure_error(client.get(path, **bearer_for(person)), 403, "AuthorizationFailed")


def test_subscription_list_secrets(api, dev_logistics):
    response = api.post("subscriptions/dev-logistics/listSecrets")
    assert response.status_code == 200
    assert response.json() == {
        "primaryKey": dev_logistics.primary_secret,
        "secondaryKey": dev_logistics.secondary_secret,
    }
    assert response["ETag"]


@pytest.mark.parametrize(
    ("action", "changed", "kept"),
    [
        ("regeneratePrimaryKey", "primary_secret", "secondary_secret"),
        ("regenerateSecondaryKey", "secondary_secret", "primary_secret"),
    ],
)
def test_subscription_regenerate_key(api, dev_logistics, action, changed, kept):
    before = {field: getattr(dev_logistics, field) for field in (changed, kept)}
    response = api.post(f"subscriptions/dev-logistics/{action}")
    assert response.status_code == 204
    assert response.content == b""
    dev_logistics.refresh_from_db()
    assert getattr(dev_logistics, changed) != before[changed]
    assert getattr(dev_logistics, kept) == before[kept]
    secrets = api.post("subscriptions/dev-logistics/listSecrets").json()
    assert secrets == {
        "primaryKey": dev_logistics.primary_secret,
        "secondaryKey": dev_logistics.secondary_secret,
    }


def test_subscription_secrets_of_unknown_subscription_is_404(api, db):
    assert api.post("subscriptions/nothing/listSecrets").status_code == 404
    assert api.post("subscriptions/nothing/regeneratePrimaryKey").status_code == 404


def test_subscription_patch_approves_a_submitted_one(api, dev_logistics):
    tag = api.get("subscriptions/dev-logistics")["ETag"]
    response = api.patch("subscriptions/dev-logistics", {"state": "active"}, if_match=tag)
    assert response.status_code == 200
    assert response.json()["properties"]["state"] == "active"
    assert response["ETag"] != tag
    dev_logistics.refresh_from_db()
    assert dev_logistics.state == Subscription.State.ACTIVE
    assert dev_logistics.activated_at is not None


@pytest.mark.parametrize(
    ("path", "target"),
    [
        (["cancelled"], "active"),
        (["rejected"], "active"),
        ([], "suspended"),
        (["active", "suspended"], "submitted"),
        ([], "expired"),
    ],
)
def test_subscription_patch_refuses_transitions_the_console_refuses(
    api, dev_logistics, path, target
):
    for state in path:
        assert api.patch("subscriptions/dev-logistics", {"state": state}).status_code == 200
    dev_logistics.refresh_from_db()
    before = (dev_logistics.state, dev_logistics.version)
    response = api.patch("subscriptions/dev-logistics", {"state": target})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ValidationError"
    dev_logistics.refresh_from_db()
    assert (dev_logistics.state, dev_logistics.version) == before


def test_subscription_patch_follows_the_console_through_its_states(api, dev_logistics):
    for state in ["active", "suspended", "active", "cancelled"]:
        response = api.patch("subscriptions/dev-logistics", {"state": state})
        assert response.status_code == 200
        assert response.json()["properties"]["state"] == state
    dev_logistics.refresh_from_db()
    assert dev_logistics.ended_at is not None


# Found by tests/management_api/test_fuzz_api.py


def test_subscription_patch_refused_changes_nothing_it_was_sent(api, dev_logistics):
    """A rename and a refused change of state: the rename was saved before the refusal."""
    before = (fresh(dev_logistics).display_name, fresh(dev_logistics).version)
    response = api.patch("subscriptions/dev-logistics", {"displayName": "New", "state": "expired"})
    assert_azure_error(response, 400, "ValidationError")
    row = fresh(dev_logistics)
    assert (row.display_name, row.version) == before


@pytest.mark.parametrize("name", ["displayName", "state", "stateComment"])
@pytest.mark.parametrize("value", [["x"], {"x": 1}, 7, True])
def test_subscription_patch_refuses_text_that_is_no_string(api, dev_logistics, name, value):
    """["x"] used to be saved as the name "['x']"."""
    before = row_state(dev_logistics) + (fresh(dev_logistics).display_name,)
    response = api.patch("subscriptions/dev-logistics", {name: value})
    assert_azure_error(response, 400, "ValidationError")
    assert row_state(dev_logistics) + (fresh(dev_logistics).display_name,) == before


@pytest.mark.parametrize(
    "properties",
    [
        {"displayName": ["x"]},
        {"displayName": "App", "state": 7},
        {"displayName": "App", "stateComment": {"x": 1}},
        {"displayName": "App", "primaryKey": ["k" * 40]},
    ],
)
def test_subscription_put_refuses_text_that_is_no_string(
    api, developer, shared_product, properties
):
    sent = {"scope": "/products/logistics", "ownerId": f"/users/{developer.api_id}"} | properties
    assert_azure_error(api.put("subscriptions/typed", sent), 400, "ValidationError")
    assert not Subscription.objects.exists()


def test_subscription_patch_keeps_a_state_comment_sent_without_a_change_of_state(
    api, dev_logistics
):
    """It used to answer 200 and drop the comment."""
    response = api.patch("subscriptions/dev-logistics", {"stateComment": "Paid by invoice"})
    assert response.status_code == 200
    assert response.json()["properties"]["stateComment"] == "Paid by invoice"
    assert fresh(dev_logistics).state_comment == "Paid by invoice"
    again = api.patch("subscriptions/dev-logistics", {"stateComment": "Paid by invoice"})
    assert again["ETag"] == response["ETag"]
    cleared = api.patch("subscriptions/dev-logistics", {"stateComment": None})
    assert cleared.json()["properties"]["stateComment"] is None


def test_subscription_put_keeps_the_state_comment_of_a_new_one(api, developer, shared_product):
    response = api.put(
        "subscriptions/commented",
        {
            "scope": "/products/logistics",
            "ownerId": f"/users/{developer.api_id}",
            "displayName": "App",
            "stateComment": "Asked for by phone",
        },
    )
    assert response.status_code == 201
    assert Subscription.objects.get(sid="commented").state_comment == "Asked for by phone"


def test_subscription_patch_refuses_an_empty_name(api, dev_logistics):
    """An empty name used to be ignored, with a 200."""
    response = api.patch("subscriptions/dev-logistics", {"displayName": ""})
    assert_azure_error(response, 400, "ValidationError")
    assert fresh(dev_logistics).display_name == "App"


def test_subscription_delete(api, dev_logistics):
    assert api.delete("subscriptions/dev-logistics").status_code == 200
    assert not Subscription.objects.exists()
    assert api.delete("subscriptions/dev-logistics").status_code == 204


# IDs


def put_subscription(api, sid, developer):
    return api.put(
        f"subscriptions/{quote(sid, safe='')}",
        {
            "scope": "/products/logistics",
            "ownerId": f"/users/{developer.api_id}",
            "displayName": "App",
        },
    )


@pytest.mark.parametrize(
    "sid",
    [
        pytest.param(".", id="dot"),
        pytest.param("..", id="dot-dot"),
        pytest.param("...", id="three-dots"),
        pytest.param("invoice\u202etxt.exe", id="right-to-left-override"),
        pytest.param("dev\u200blogistics", id="zero-width-space"),
        pytest.param("dev\u2066logistics\u2069", id="isolates"),
        pytest.param("bell\x07", id="control"),
        pytest.param("del\x7f", id="delete"),
    ],
)
def test_subscription_put_refuses_an_id_that_does_not_read_as_it_is(
    api, developer, shared_product, sid
):
    response = put_subscription(api, sid, developer)
    error = assert_azure_error(response, 400, "ValidationError")
    assert [detail["target"] for detail in error["details"]] == ["name"]
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("sid", ["a.b", "v1.2", ".well-known", "app..v2", "café-ünïcode"])
def test_subscription_put_takes_ordinary_ids_with_dots(api, developer, shared_product, sid):
    response = put_subscription(api, sid, developer)
    assert response.status_code == 201, response.content
    assert response.json()["name"] == sid
    assert Subscription.objects.get().sid == sid
    assert api.get(f"subscriptions/{quote(sid, safe='')}").json()["name"] == sid
