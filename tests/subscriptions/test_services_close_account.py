"""subscriptions.services.close_account and close_own_account: deleting an account,
its memberships and subscriptions, whose keys stop with it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from groups.models import Membership
from portal import services as portal_services
from portal import sight
from portal.models import User
from subscriptions import services
from subscriptions.models import Subscription
from tests.conftest import TEST_PASSWORD, fresh


def check(key: str, product: str = "payments") -> int:
    return (
        Client()
        .get("/gateway/check", headers={"Ocp-Apim-Subscription-Key": key, "X-Product": product})
        .status_code
    )


@pytest.fixture
def heard():
    """What the sight funnel reports while a test runs."""
    calls: list[dict] = []

    def listen(**kwargs):
        calls.append(kwargs)

    sight.sight_changed.connect(listen, weak=False)
    yield calls
    sight.sight_changed.disconnect(listen)


def test_close_account_cancels_and_deletes_subscriptions_memberships_and_the_account(
    administrator, member, subscription, make_subscription, make_product, heard
):
    waiting = make_subscription(member, make_product("Ledger"), state="submitted")
    key = subscription.primary_secret
    assert check(key) == 204

    cancelled = services.close_account(user=member, actor=administrator)

    assert cancelled == 2
    assert not User.objects.filter(pk=member.pk).exists()
    assert not Membership.objects.filter(user_id=member.pk).exists()
    assert not Subscription.objects.filter(pk__in=[subscription.pk, waiting.pk]).exists()
    assert check(key) == 401
    assert any(call["owner_ids"] == [member.pk] for call in heard)


def test_close_account_leaves_other_people_alone(administrator, member, subscription, make_user):
    other = make_user()
    services.close_account(user=other, actor=administrator)
    assert fresh(subscription).state == Subscription.State.ACTIVE
    assert check(subscription.primary_secret) == 204


def test_close_account_refuses_ones_own_account(administrator, make_user):
    make_user(is_superuser=True)
    with pytest.raises(ValidationError) as refused:
        services.close_account(user=administrator, actor=administrator)
    assert refused.value.code == "self"
    assert User.objects.filter(pk=administrator.pk).exists()


def test_the_last_administrator_is_never_deleted(administrator, subscription):
    subscription.owner = administrator
    subscription.save()
    with pytest.raises(ValidationError) as refused:
        services.close_own_account(user=administrator, password=TEST_PASSWORD)
    assert "last administrator" in refused.value.messages[0]
    # Nothing changed: the cancellation was rolled back with the refusal.
    assert User.objects.filter(pk=administrator.pk).exists()
    assert fresh(subscription).state == Subscription.State.ACTIVE


def test_an_administrator_deletes_another_while_one_stays(administrator, make_user):
    second = make_user(is_superuser=True)
    services.close_account(user=second, actor=administrator)
    assert not User.objects.filter(pk=second.pk).exists()


def test_a_blocked_administrator_does_not_count_as_the_one_who_stays(administrator, make_user):
    make_user(is_superuser=True, state=User.State.BLOCKED)
    with pytest.raises(ValidationError, match="last administrator"):
        services.close_own_account(user=administrator, password=TEST_PASSWORD)


def test_close_own_account_needs_the_current_password(member, subscription):
    with pytest.raises(ValidationError) as refused:
        services.close_own_account(user=member, password="not-my-password")
    assert "password" in refused.value.message_dict
    assert fresh(subscription).state == Subscription.State.ACTIVE
    assert Membership.objects.filter(user=member).exists()


def test_close_own_account_refuses_an_empty_password(member):
    with pytest.raises(ValidationError):
        services.close_own_account(user=member, password="")
    assert User.objects.filter(pk=member.pk).exists()


def test_close_own_account_deletes_and_stops_the_keys(member, subscription):
    key = subscription.secondary_secret
    assert services.close_own_account(user=member, password=TEST_PASSWORD) == 1
    assert not User.objects.filter(pk=member.pk).exists()
    assert check(key) == 401


def test_ended_subscriptions_are_deleted_but_not_counted(member, make_subscription, product):
    make_subscription(member, product, state="rejected")
    assert services.close_own_account(user=member, password=TEST_PASSWORD) == 0
    assert not Subscription.objects.filter(owner_id=member.pk).exists()


def test_only_the_owner_closes_an_account_as_their_own(member, make_user):
    with pytest.raises(PermissionDenied):
        portal_services.delete_user(user=member, actor=make_user(), own=True)
    assert User.objects.filter(pk=member.pk).exists()
