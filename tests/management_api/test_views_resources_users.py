"""management_api.views.resources: users and their groups through the management API."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection

from groups import services as group_services
from portal.models import User
from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from tests.conftest import TEST_PASSWORD, fresh, signs_in
from tests.management_api.helpers import (
    SERVICE,
    SYSTEM_GROUPS,
    assert_azure_error,
    body,
    names,
    url,
)

STRONG = "a-rather-unusual-passphrase-42"


def test_user_put_creates(api, db):
    response = api.put(
        "users/una",
        {"email": "una@example.com", "firstName": "Una", "lastName": "Uno", "note": "Partner"},
    )
    assert response.status_code == 201
    assert response["ETag"]
    data = response.json()
    assert data["name"] == "una"
    assert data["id"] == f"{SERVICE}/users/una"
    assert data["properties"]["state"] == "active"
    assert data["properties"]["email"] == "una@example.com"
    user = User.objects.get(api_id="una")
    assert (user.first_name, user.last_name, user.note) == ("Una", "Uno", "Partner")
    assert not user.is_superuser and not user.is_staff


@pytest.mark.parametrize("missing", ["email", "firstName", "lastName"])
def test_user_put_needs_email_first_and_last_name(api, db, missing):
    properties = {"email": "una@example.com", "firstName": "Una", "lastName": "Uno"}
    del properties[missing]
    response = api.put("users/una", properties)
    assert response.status_code == 400
    assert missing in response.json()["error"]["message"]
    assert not User.objects.filter(api_id="una").exists()


def test_user_put_duplicate_email_in_another_case_is_409(api, developer):
    response = api.put(
        "users/copy", {"email": "DEV@Example.com", "firstName": "Copy", "lastName": "Cat"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "Conflict"
    assert not User.objects.filter(api_id="copy").exists()


def test_user_put_again_with_the_same_body_updates(api, db):
    """The SDK's create_or_update sends appType and confirmation every time."""
    properties = {
        "email": "una@example.com",
        "firstName": "Una",
        "lastName": "Uno",
        "appType": "developerPortal",
        "confirmation": "signup",
    }
    assert api.put("users/una", properties).status_code == 201
    again = api.put("users/una", {**properties, "lastName": "Dos"})
    assert again.status_code == 200, again.content
    assert User.objects.get(api_id="una").last_name == "Dos"


def test_user_created_with_an_unknown_state_is_400(client, bearer):
    response = client.put(
        url("users/una"),
        body(email="una@example.com", firstName="Una", lastName="Uno", state="bogus"),
        "application/json",
        **bearer,
    )
    assert_azure_error(response, 400, "ValidationError")
    assert not User.objects.filter(api_id="una").exists()


@pytest.mark.parametrize("password", [["correct-horse-battery-staple"], {"x": 1}, 7, True])
def test_user_put_and_patch_refuse_a_password_that_is_no_string(api, developer, password):
    """Found by tests/management_api/test_fuzz_api.py: ["correct-horse-battery-staple"] became the
    password "['correct-horse-battery-staple']"."""
    properties = {"email": "una@example.com", "firstName": "Una", "lastName": "Uno"}
    created = api.put("users/una", {**properties, "password": password})
    assert_azure_error(created, 400, "ValidationError")
    assert not User.objects.filter(api_id="una").exists()
    before = User.objects.get(pk=developer.pk).password
    patched = api.patch(f"users/{developer.api_id}", {"password": password})
    assert_azure_error(patched, 400, "ValidationError")
    assert User.objects.get(pk=developer.pk).password == before


def test_user_get_and_head(api, developer):
    got = api.get(f"users/{developer.api_id}")
    assert got.status_code == 200
    assert got["ETag"].startswith('"') and got["ETag"].endswith('"')
    assert got.json()["properties"]["firstName"] == "Dev"
    head = api.head(f"users/{developer.api_id}")
    assert head.status_code == 200
    assert head["ETag"] == got["ETag"]


def test_user_patch_state_blocked_blocks(api, developer):
    tag = api.get(f"users/{developer.api_id}")["ETag"]
    response = api.patch(f"users/{developer.api_id}", {"state": "blocked"}, if_match=tag)
    assert response.status_code == 200
    assert response.json()["properties"]["state"] == "blocked"
    assert response["ETag"] != tag
    developer.refresh_from_db()
    assert developer.state == User.State.BLOCKED
    assert not developer.is_active


def test_user_patch_state_active_unblocks(api, blocked_user):
    response = api.patch(f"users/{blocked_user.api_id}", {"state": "active"})
    assert response.status_code == 200
    blocked_user.refresh_from_db()
    assert blocked_user.is_active


def test_user_patch_cannot_block_yourself(api, administrator):
    response = api.patch(f"users/{administrator.api_id}", {"state": "blocked"})
    assert response.status_code == 400
    administrator.refresh_from_db()
    assert administrator.is_active


@pytest.mark.parametrize("state", ["blocked", "pending"])
def test_an_administrator_cannot_take_their_own_account_out_of_use(api, administrator, state):
    response = api.patch(f"users/{administrator.api_id}", {"state": state})
    error = assert_azure_error(response, 400, "ValidationError")
    assert "own account" in error["message"]
    administrator.refresh_from_db()
    assert administrator.state == User.State.ACTIVE
    assert signs_in("root@example.com", TEST_PASSWORD)


@pytest.mark.parametrize("state", ["bogus", "pending", "deleted"])
def test_user_state_change_is_applied_or_refused_never_ignored(client, bearer, developer, state):
    response = client.patch(
        url(f"users/{developer.api_id}"),
        body(state=state),
        "application/json",
        HTTP_IF_MATCH="*",
        **bearer,
    )
    developer.refresh_from_db()
    if response.status_code == 400:
        assert_azure_error(response, 400, "ValidationError")
        assert developer.state == User.State.ACTIVE
    else:
        assert response.status_code in (200, 204)
        assert response.json()["properties"]["state"] == state
        assert developer.state == state


def test_user_delete_is_204(api, developer):
    response = api.delete(f"users/{developer.api_id}")
    assert response.status_code == 204
    assert not User.objects.filter(pk=developer.pk).exists()
    assert api.delete(f"users/{developer.api_id}").status_code == 204


def test_user_delete_with_subscriptions_needs_delete_subscriptions(
    api, administrator, developer, shared_product
):
    subscription_services.create_subscription(
        sid="dev-logistics",
        owner=developer,
        product=shared_product,
        display_name="App",
        actor=administrator,
    )
    refused = api.delete(f"users/{developer.api_id}")
    assert refused.status_code == 400
    assert User.objects.filter(pk=developer.pk).exists()
    assert Subscription.objects.filter(sid="dev-logistics").exists()

    assert api.delete(f"users/{developer.api_id}", deleteSubscriptions="true").status_code == 204
    assert not User.objects.filter(pk=developer.pk).exists()
    assert not Subscription.objects.exists()


def test_user_cannot_delete_themselves(api, administrator):
    assert api.delete(f"users/{administrator.api_id}").status_code == 400
    assert User.objects.filter(pk=administrator.pk).exists()


def test_user_groups_include_developers_and_stored_groups(api, developer, partners, make_group):
    make_group("sales", "Sales")
    group_services.add_members(group=partners, users=[developer], added_by=None)
    assert names(api.get(f"users/{developer.api_id}/groups")) == ["developers", "partners"]


def test_administrator_groups(api, administrator):
    assert names(api.get(f"users/{administrator.api_id}/groups")) == [
        "administrators",
        "developers",
    ]


def test_user_groups_agree_with_group_membership_for_a_blocked_user(api, blocked_user, partners):
    """Both directions of the same relation give the same answer."""
    group_services.add_members(group=partners, users=[blocked_user], added_by=None)
    listed = names(api.get(f"users/{blocked_user.api_id}/groups"))
    for name in [*SYSTEM_GROUPS, "partners"]:
        member = api.head(f"groups/{name}/users/{blocked_user.api_id}").status_code == 204
        assert (name in listed) == member, name


def test_user_list_filter(api, developer, administrator):
    response = api.get("users", **{"$filter": "email eq 'dev@example.com'"})
    assert names(response) == [developer.api_id]


# Passwords


def test_user_put_with_a_password_lets_the_person_sign_in(api, db):
    response = api.put(
        "users/una",
        {"email": "una@example.com", "firstName": "Una", "lastName": "Uno", "password": STRONG},
    )
    assert response.status_code == 201
    assert signs_in("una@example.com", STRONG)


@pytest.mark.parametrize("password", ["1", "12345678", "password1", "una@example.com"])
def test_user_put_with_a_weak_password_is_400_and_creates_nothing(api, db, password):
    response = api.put(
        "users/una",
        {"email": "una@example.com", "firstName": "Una", "lastName": "Uno", "password": password},
    )
    error = assert_azure_error(response, 400, "ValidationError")
    assert {detail["target"] for detail in error["details"]} == {"password"}
    assert not User.objects.filter(api_id="una").exists()
    assert not User.objects.filter(email__iexact="una@example.com").exists()
    assert not signs_in("una@example.com", password)


@pytest.mark.parametrize("method", ["patch", "put"])
def test_user_weak_password_change_is_400_and_keeps_the_old_one(api, developer, method):
    properties = {"password": "1"}
    if method == "put":
        properties |= {"email": "dev@example.com", "firstName": "Dev", "lastName": "Eloper"}
    response = getattr(api, method)(f"users/{developer.api_id}", properties)
    error = assert_azure_error(response, 400, "ValidationError")
    assert {detail["target"] for detail in error["details"]} == {"password"}
    assert fresh(developer).version == developer.version
    assert signs_in("dev@example.com", TEST_PASSWORD)
    assert not signs_in("dev@example.com", "1")


def test_user_patch_refuses_a_password_like_the_name_it_sets(api, developer):
    """The password is checked against the person as the change leaves them."""
    response = api.patch(
        f"users/{developer.api_id}", {"firstName": "Zebediahquill", "password": "Zebediahquill"}
    )
    error = assert_azure_error(response, 400, "ValidationError")
    assert {detail["target"] for detail in error["details"]} == {"password"}
    assert fresh(developer).first_name == "Dev"
    assert signs_in("dev@example.com", TEST_PASSWORD)


@pytest.fixture
def hash_depths(monkeypatch) -> list[int]:
    """How many atomic blocks were open each time the password hasher ran."""
    depths: list[int] = []
    real_encode = MD5PasswordHasher.encode

    def encode(self, password, salt):
        depths.append(len(connection.atomic_blocks))
        return real_encode(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", encode)
    return depths


def test_user_put_hashes_the_password_before_the_transaction_opens(api, db, hash_depths):
    """Hashing is slow on purpose; inside the transaction it would hold SQLite's write lock."""
    outside = len(connection.atomic_blocks)  # the test's own transaction
    response = api.put(
        "users/una",
        {"email": "una@example.com", "firstName": "Una", "lastName": "Uno", "password": STRONG},
    )
    assert response.status_code == 201
    assert hash_depths == [outside]


def test_user_patch_hashes_the_password_before_the_transaction_opens(api, developer, hash_depths):
    outside = len(connection.atomic_blocks)
    response = api.patch(f"users/{developer.api_id}", {"password": STRONG})
    assert response.status_code == 200
    assert hash_depths == [outside]
    assert signs_in("dev@example.com", STRONG)
