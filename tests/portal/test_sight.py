"""portal.sight: the one funnel for "what someone sees changed", and who listens to it."""

from __future__ import annotations

import pytest

from groups.models import Membership
from portal import sight
from subscriptions.models import Subscription
from tests.conftest import fresh


@pytest.fixture
def heard():
    """What a receiver connected for the test hears, one dict per sending."""
    calls = []

    def receiver(sender, **kwargs):
        calls.append({"sender": sender, **kwargs})

    sight.sight_changed.connect(receiver, dispatch_uid="tests.sight")
    yield calls
    sight.sight_changed.disconnect(dispatch_uid="tests.sight")


def test_changed_sends_people_as_a_list_and_products_as_none(db, heard):
    sight.changed(people=(pk for pk in [3, 1]))
    assert heard == [
        {
            "sender": sight.changed,
            "signal": sight.sight_changed,
            "owner_ids": [3, 1],
            "product_ids": None,
            "api_ids": None,
        }
    ]


def test_changed_sends_products_as_a_list_and_people_as_none(db, heard):
    sight.changed(products={7})
    assert heard[0]["owner_ids"] is None
    assert heard[0]["product_ids"] == [7]


def test_changed_sends_apis_beside_their_product(db, heard):
    sight.changed(products=[7], apis=(pk for pk in [4]))
    assert (heard[0]["product_ids"], heard[0]["api_ids"]) == ([7], [4])


def test_changed_with_nothing_given_means_anyone_and_anything(db, heard):
    sight.changed()
    assert (heard[0]["owner_ids"], heard[0]["product_ids"]) == (None, None)


def test_changed_with_empty_lists_sends_empty_lists(db, heard):
    sight.changed(people=[], products=[])
    assert (heard[0]["owner_ids"], heard[0]["product_ids"]) == ([], [])


@pytest.fixture
def lost_sight(subscription, member, partners):
    """The member's membership gone behind the funnel's back: nothing has reported it yet."""
    Membership.objects.filter(group=partners, user=member).delete()
    assert fresh(subscription).state == Subscription.State.ACTIVE
    return subscription


def test_changed_people_reaches_the_subscriptions_access_rule(lost_sight, member):
    sight.changed(people=[member.pk])
    row = fresh(lost_sight)
    assert (row.state, row.suspended_for_access, row.state_comment) == (
        Subscription.State.SUSPENDED,
        True,
        Subscription.ACCESS_REMOVED,
    )


def test_changed_products_reaches_the_subscriptions_access_rule(lost_sight, product):
    sight.changed(products=[product.pk])
    assert fresh(lost_sight).state == Subscription.State.SUSPENDED


def test_changed_about_someone_else_leaves_the_subscription_alone(lost_sight, outsider):
    sight.changed(people=[outsider.pk])
    assert fresh(lost_sight).state == Subscription.State.ACTIVE


def test_changed_when_sight_comes_back_reactivates(lost_sight, member, partners):
    sight.changed(people=[member.pk])
    Membership.objects.create(group=partners, user=member)
    sight.changed(people=[member.pk])
    row = fresh(lost_sight)
    assert (row.state, row.suspended_for_access) == (Subscription.State.ACTIVE, False)
