"""portal.sight: the one funnel for "what someone sees changed", and who listens to it."""

from __future__ import annotations

import contextlib

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from groups import services as group_services
from groups.models import Group, GroupMember, Membership
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


def in_a_request(read):
    """What read() returns when run as one request through the sight memo's middleware."""
    results = []

    def view(request):
        results.append(read())
        return HttpResponse()

    sight.SightMemoMiddleware(view)(RequestFactory().get("/"))
    return results[0]


def test_a_request_reads_the_viewers_groups_once(developer, partners, django_assert_num_queries):
    group_services.add_members(group=partners, users=[developer], added_by=None)

    def read():
        first = Group.objects.ids_for_user(developer)
        # The memo answers: no second read of the memberships.
        with django_assert_num_queries(0):
            again = Group.objects.ids_for_user(developer)
        return (first, again)

    first, again = in_a_request(read)
    assert partners.pk in first
    assert first == again


def test_a_request_that_changes_sight_then_reads_it_sees_the_change(developer, partners):
    def read():
        before = Group.objects.ids_for_user(developer)
        group_services.add_members(group=partners, users=[developer], added_by=None)
        after_adding = Group.objects.ids_for_user(developer)
        group_services.remove_member(group=partners, user=developer)
        after_removing = Group.objects.ids_for_user(developer)
        return (before, after_adding, after_removing)

    before, after_adding, after_removing = in_a_request(read)
    assert partners.pk not in before
    assert partners.pk in after_adding
    assert partners.pk not in after_removing


def test_a_change_rolled_back_after_the_funnel_is_not_remembered(developer, partners):
    def read():
        with contextlib.suppress(RuntimeError), transaction.atomic():
            group_services.add_members(group=partners, users=[developer], added_by=None)
            assert partners.pk in Group.objects.ids_for_user(developer)
            raise RuntimeError("rolled back")
        return Group.objects.ids_for_user(developer)

    assert partners.pk not in in_a_request(read)


def test_two_requests_never_share_the_memo(developer, partners):
    def read():
        return Group.objects.ids_for_user(developer)

    assert partners.pk not in in_a_request(read)
    # Written past the services on purpose: no funnel forgets anything, so
    # only a memo of its own lets the next request see the new membership.
    Membership.objects.create(group=partners, user=developer)
    assert partners.pk in in_a_request(read)


def test_outside_a_request_nothing_is_remembered(developer, partners, django_assert_num_queries):
    Group.objects.ids_for_user(developer)
    Membership.objects.create(group=partners, user=developer)
    with django_assert_num_queries(1):
        assert partners.pk in Group.objects.ids_for_user(developer)


def test_the_memo_keeps_viewers_apart(developer, outsider, partners):
    group_services.add_members(group=partners, users=[developer], added_by=None)

    def read():
        mine = Group.objects.ids_for_user(developer)
        theirs = Group.objects.ids_for_user(outsider)
        as_group = Group.objects.ids_for_user(GroupMember(partners))
        guest = Group.objects.ids_for_user(AnonymousUser())
        return (mine, theirs, as_group, guest)

    mine, theirs, as_group, guest = in_a_request(read)
    assert partners.pk in mine
    assert partners.pk not in theirs
    assert partners.pk in as_group
    assert guest == [Group.objects.get(name=Group.GUESTS).pk]
