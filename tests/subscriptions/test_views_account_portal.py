"""subscriptions.views.account, the developer portal's side: Delete my account
(after the current password) and Download my data."""

from __future__ import annotations

import html
import json

import pytest
from django.test import Client
from django.urls import reverse

from groups import services as group_services
from groups.models import Membership
from portal.models import User
from subscriptions.models import Subscription
from subscriptions.views.account import PREVIEW_REFUSAL
from tests.conftest import TEST_PASSWORD, fresh, messages_of, signs_in

DELETE = reverse("portal:close_account")
DATA = reverse("portal:download_data")


def check(key: str) -> int:
    return (
        Client()
        .get("/gateway/check", headers={"Ocp-Apim-Subscription-Key": key, "X-Product": "payments"})
        .status_code
    )


def test_the_profile_links_both(client, member):
    client.force_login(member)
    body = client.get(reverse("portal:profile")).content.decode()
    assert DELETE in body
    assert DATA in body


def test_the_page_names_what_is_lost_and_asks_for_the_password(client, member, subscription):
    client.force_login(member)
    response = client.get(DELETE)
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert "1 group membership: Partners" in body
    assert (
        "1 subscription: 1 active, waiting or suspended, cancelled first so its keys stop" in body
    )
    assert 'type="password"' in body
    assert Subscription.objects.filter(pk=subscription.pk).exists()


def test_a_wrong_password_is_a_field_error_and_nothing_changes(client, member, subscription):
    client.force_login(member)
    response = client.post(DELETE, {"password": "not-my-password"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "password": ["That isn't your current password. Nothing was deleted."]
    }
    assert fresh(subscription).state == Subscription.State.ACTIVE
    assert Membership.objects.filter(user=member).exists()
    assert check(subscription.primary_secret) == 204
    assert client.get(reverse("portal:profile")).status_code == 200


def test_an_empty_password_is_a_field_error(client, member):
    client.force_login(member)
    response = client.post(DELETE, {"password": ""})
    assert response.status_code == 400
    assert "password" in response.context["form"].errors
    assert User.objects.filter(pk=member.pk).exists()


def test_the_right_password_deletes_signs_out_and_lands_on_the_landing_page(
    client, member, subscription
):
    key = subscription.primary_secret
    assert check(key) == 204
    client.force_login(member)
    response = client.post(DELETE, {"password": TEST_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:landing")
    assert messages_of(response) == [
        "Your account is deleted. Its subscriptions' keys no longer work."
    ]
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(pk=member.pk).exists()
    assert check(key) == 401
    assert not signs_in(member.email, TEST_PASSWORD)


def test_the_last_administrator_is_refused_on_the_profile(client, administrator):
    client.force_login(administrator)
    response = client.post(DELETE, {"password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "is the last administrator" in html.unescape(response.content.decode())
    assert User.objects.filter(pk=administrator.pk).exists()


def test_delete_needs_the_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post(DELETE, {"password": TEST_PASSWORD}).status_code == 403
    assert User.objects.filter(pk=member.pk).exists()


def test_guests_are_sent_to_sign_in(client, member):
    assert client.post(DELETE, {"password": TEST_PASSWORD}).status_code == 302
    assert client.get(DATA).status_code == 302
    assert User.objects.filter(pk=member.pk).exists()


def test_a_blocked_account_is_sent_to_sign_in(client, blocked_user):
    client.force_login(blocked_user)
    assert client.post(DELETE, {"password": TEST_PASSWORD}).status_code == 302
    assert client.get(DATA).status_code == 302
    assert User.objects.filter(pk=blocked_user.pk).exists()


def test_an_administrator_viewing_as_someone_deletes_nothing(client, administrator, make_user):
    make_user(is_superuser=True)
    client.force_login(administrator)
    client.post(reverse("console:view_as"), {"kind": "group", "key": "developers"})
    response = client.post(DELETE, {"password": TEST_PASSWORD}, follow=True)
    assert messages_of(response)[-1] == PREVIEW_REFUSAL
    assert User.objects.filter(pk=administrator.pk).exists()


# Download my data


@pytest.fixture
def rich_member(member, beta, subscription, make_subscription, make_product):
    group_services.add_members(group=beta, users=[member], added_by=None)
    make_subscription(member, make_product("Ledger"), state="cancelled")
    return member


def test_the_download_is_a_json_attachment_of_ones_own_data(client, rich_member, subscription):
    client.force_login(rich_member)
    response = client.get(DATA)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["profile"]["email"] == rich_member.email
    assert data["profile"]["firstName"] == rich_member.first_name
    assert data["profile"]["state"] == "active"
    assert {"registrationDate", "lastSignIn"} <= set(data["profile"])
    assert [m["groupName"] for m in data["memberships"]] == ["Beta testers", "Partners"]
    assert [m["groupId"] for m in data["memberships"]] == ["beta", "partners"]
    assert {s["id"] for s in data["subscriptions"]} >= {subscription.sid}
    assert {s["state"] for s in data["subscriptions"]} == {"active", "cancelled"}
    assert set(data["subscriptions"][0]) == {
        "id",
        "name",
        "scope",
        "state",
        "createdDate",
        "startDate",
        "endDate",
    }


def test_the_download_holds_no_key(client, rich_member):
    client.force_login(rich_member)
    text = client.get(DATA).content.decode()
    for row in Subscription.objects.filter(owner=rich_member):
        assert row.primary_secret not in text
        assert row.secondary_secret not in text
    assert "secret" not in text.lower()
    assert "key" not in text.lower()


def test_the_download_never_holds_someone_elses_data(
    client, rich_member, make_user, make_subscription, product, others
):
    stranger = make_user(email="stranger@example.com")
    group_services.add_members(group=others, users=[stranger], added_by=None)
    theirs = make_subscription(stranger, product, display_name="Stranger's app")
    client.force_login(rich_member)
    text = client.get(DATA).content.decode()
    assert "stranger" not in text.lower()
    assert theirs.sid not in text
    assert "Others" not in text


def test_the_download_makes_the_same_queries_with_many_rows(
    client, member, make_subscription, make_product, django_assert_max_num_queries
):
    client.force_login(member)
    # Session, user, memberships, subscriptions.
    with django_assert_max_num_queries(4) as few:
        client.get(DATA)
    for number in range(5):
        make_subscription(member, make_product(f"Shelf {number}"))
        group = group_services.create_group(name=f"g{number}", display_name=f"G{number}")
        group_services.add_members(group=group, users=[member], added_by=None)
    with django_assert_max_num_queries(4) as many:
        response = client.get(DATA)
    assert len(json.loads(response.content)["subscriptions"]) == 5
    assert len(few) == len(many)
