"""subscriptions.services.reconcile_access: the rule for developers who lose, or regain,
sight of a product they subscribed to; every path that changes sight applies it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from groups import services as group_services
from portal import services as portal_services
from portal.models import User
from products import services
from products.models import Product
from subscriptions import services as subscription_services
from subscriptions.models import Subscription, SubscriptionSettings
from tests.conftest import fresh
from tests.subscriptions.conftest import row_state


@pytest.fixture
def setup_rule(member, partners, make_product):
    """Subscriptions seen through Partners: active, suspended by hand, cancelled."""

    def make():
        shared = make_product(display_name="Shared")
        active = subscription_services.subscribe(
            developer=member, product=shared, display_name="Working"
        )
        by_hand = subscription_services.subscribe(
            developer=member, product=shared, display_name="By hand"
        )
        subscription_services.change_state(subscription=by_hand, action="suspend", comment="Abuse")
        cancelled = subscription_services.subscribe(
            developer=member, product=shared, display_name="Ended"
        )
        subscription_services.change_state(subscription=cancelled, action="cancel")
        return shared, active, by_hand, cancelled

    return make


def lose_access(path, *, developer, group, product, administrator):
    if path == "leave_group":
        group_services.remove_member(group=group, user=developer)
    elif path == "revoke_access":
        services.revoke_access(product=product, group=group)
    elif path == "delete_group":
        group_services.delete_group(group=group)
    elif path == "block_user":
        portal_services.block_user(user=developer, actor=administrator)


def regain_access(path, *, developer, group, product, administrator):
    if path == "leave_group":
        group_services.add_members(group=group, users=[developer], added_by=administrator)
    elif path == "revoke_access":
        services.grant_access(product=product, groups=[group], added_by=administrator)
    elif path == "block_user":
        portal_services.unblock_user(user=User.objects.get(pk=developer.pk))


LOSS_PATHS = ["leave_group", "revoke_access", "delete_group", "block_user"]


RESTORE_PATHS = ["leave_group", "revoke_access", "block_user"]


@pytest.mark.parametrize("path", LOSS_PATHS)
def test_losing_sight_suspends_active_subscriptions_and_emails_the_developer(
    member,
    partners,
    administrator,
    setup_rule,
    mailoutbox,
    django_capture_on_commit_callbacks,
    path,
):
    shared, active, by_hand, cancelled = setup_rule()
    with django_capture_on_commit_callbacks(execute=True):
        lose_access(
            path, developer=member, group=partners, product=shared, administrator=administrator
        )
    stored = fresh(active)
    assert stored.state == Subscription.State.SUSPENDED
    assert stored.state_comment == Subscription.ACCESS_REMOVED == "Access removed"
    assert stored.suspended_for_access is True
    assert (fresh(by_hand).state, fresh(by_hand).state_comment) == ("suspended", "Abuse")
    assert fresh(by_hand).suspended_for_access is False
    assert fresh(cancelled).state == "cancelled"
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [member.email]
    assert "- Working (Shared)" in email.body
    assert "By hand" not in email.body
    assert "Ended" not in email.body


@pytest.mark.parametrize("path", RESTORE_PATHS)
def test_regaining_sight_reactivates_only_what_the_rule_suspended(
    member,
    partners,
    administrator,
    setup_rule,
    mailoutbox,
    django_capture_on_commit_callbacks,
    path,
):
    shared, active, by_hand, cancelled = setup_rule()
    lose_access(path, developer=member, group=partners, product=shared, administrator=administrator)
    assert fresh(active).state == "suspended"
    with django_capture_on_commit_callbacks(execute=True):
        regain_access(
            path, developer=member, group=partners, product=shared, administrator=administrator
        )
    stored = fresh(active)
    assert stored.state == Subscription.State.ACTIVE
    assert stored.suspended_for_access is False
    assert stored.state_comment == ""
    assert (fresh(by_hand).state, fresh(by_hand).state_comment) == ("suspended", "Abuse")
    assert fresh(cancelled).state == "cancelled"
    assert mailoutbox == []


def test_regaining_sight_through_a_new_group_after_deletion_reactivates(
    member, partners, administrator, setup_rule
):
    shared, active, by_hand, _ = setup_rule()
    group_services.delete_group(group=partners)
    assert fresh(active).state == "suspended"
    newcomers = group_services.create_group(name="newcomers", display_name="Newcomers")
    services.grant_access(product=shared, groups=[newcomers], added_by=administrator)
    assert fresh(active).state == "suspended"
    group_services.add_members(group=newcomers, users=[member], added_by=administrator)
    assert fresh(active).state == "active"
    assert fresh(by_hand).state == "suspended"


def test_cancelling_one_the_rule_suspended_keeps_it_cancelled(
    member, partners, administrator, setup_rule
):
    shared, active, _, _ = setup_rule()
    group_services.remove_member(group=partners, user=member)
    subscription_services.change_state(subscription=active, action="cancel")
    group_services.add_members(group=partners, users=[member], added_by=administrator)
    assert fresh(active).state == "cancelled"


@pytest.mark.parametrize("path", LOSS_PATHS)
def test_keep_rule_leaves_subscriptions_working(
    member,
    partners,
    administrator,
    setup_rule,
    mailoutbox,
    django_capture_on_commit_callbacks,
    path,
):
    rule = SubscriptionSettings.load()
    rule.on_access_loss = SubscriptionSettings.AccessLoss.KEEP
    rule.save()
    shared, active, by_hand, _ = setup_rule()
    with django_capture_on_commit_callbacks(execute=True):
        lose_access(
            path, developer=member, group=partners, product=shared, administrator=administrator
        )
    stored = fresh(active)
    assert (stored.state, stored.suspended_for_access, stored.state_comment) == (
        "active",
        False,
        "",
    )
    assert fresh(by_hand).state == "suspended"
    assert mailoutbox == []


def test_unpublishing_touches_no_subscription(
    member, setup_rule, mailoutbox, django_capture_on_commit_callbacks
):
    shared, active, by_hand, cancelled = setup_rule()
    before = [row_state(s) for s in (active, by_hand, cancelled)]
    with django_capture_on_commit_callbacks(execute=True):
        services.set_state(product=shared, state=Product.State.NOT_PUBLISHED)
    assert [row_state(s) for s in (active, by_hand, cancelled)] == before
    assert mailoutbox == []


def test_seeing_the_product_through_another_group_keeps_it_active(
    member, partners, administrator, setup_rule, mailoutbox, django_capture_on_commit_callbacks
):
    shared, active, _, _ = setup_rule()
    friends = group_services.create_group(name="friends", display_name="Friends")
    group_services.add_members(group=friends, users=[member], added_by=None)
    services.grant_access(product=shared, groups=[friends], added_by=None)
    with django_capture_on_commit_callbacks(execute=True):
        group_services.remove_member(group=partners, user=member)
        services.revoke_access(product=shared, group=partners)
    assert fresh(active).state == "active"
    assert mailoutbox == []


def test_access_rule_touches_only_the_people_who_lost_sight(
    member, partners, administrator, make_user, setup_rule
):
    shared, active, _, _ = setup_rule()
    colleague = make_user()
    group_services.add_members(group=partners, users=[colleague], added_by=None)
    theirs = subscription_services.subscribe(
        developer=colleague, product=shared, display_name="Theirs"
    )
    group_services.remove_member(group=partners, user=member)
    assert fresh(active).state == "suspended"
    assert fresh(theirs).state == "active"


def test_access_removed_email_lists_every_suspended_subscription(
    member, partners, make_product, mailoutbox, django_capture_on_commit_callbacks
):
    first = make_product(display_name="Alpha")
    second = make_product(display_name="Beta")
    subscription_services.subscribe(developer=member, product=first, display_name="One")
    subscription_services.subscribe(developer=member, product=second, display_name="Two")
    with django_capture_on_commit_callbacks(execute=True):
        group_services.remove_member(group=partners, user=member)
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [member.email]
    assert "suspended" in email.subject
    assert "- One (Alpha)" in email.body
    assert "- Two (Beta)" in email.body


def test_approving_a_request_from_someone_who_lost_sight_gives_no_working_key(
    member, partners, approval_product, administrator
):
    """With the suspend rule, keys work only while the owner sees the product."""
    request = subscription_services.subscribe(
        developer=member, product=approval_product, display_name="Ask"
    )
    group_services.remove_member(group=partners, user=member)
    try:
        subscription_services.change_state(subscription=request, action="approve")
    except ValidationError:
        assert fresh(request).state == "submitted"
        return
    stored = fresh(request)
    assert (stored.state, stored.suspended_for_access) == ("suspended", True)
    group_services.add_members(group=partners, users=[member], added_by=administrator)
    assert fresh(request).state == "active"


def test_approving_for_someone_who_lost_sight_sends_the_access_email_not_approved(
    member,
    partners,
    approval_product,
    administrator,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    request = subscription_services.subscribe(
        developer=member, product=approval_product, display_name="Ask"
    )
    group_services.remove_member(group=partners, user=member)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        subscription_services.change_state(subscription=request, action="approve")
    subjects = [message.subject for message in mailoutbox]
    assert subjects == ["Some of your subscriptions are suspended"]
