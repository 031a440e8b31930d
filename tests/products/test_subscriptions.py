"""Subscriptions: the services behind subscribing, keys, state changes and the access rule."""

from __future__ import annotations

import logging
import re
import threading
from uuid import uuid4

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections
from django.test import Client
from django.urls import reverse

from groups import services as group_services
from portal import services as portal_services
from portal.models import User
from products import services
from products.models import Product
from subscriptions import services as subscription_services
from subscriptions.models import Subscription, SubscriptionSettings
from subscriptions.services import PAST_TENSE

STATES = [value for value, _ in Subscription.State.choices]
ACTIONS = list(Subscription.TRANSITIONS)


@pytest.fixture
def product(make_product):
    return make_product(display_name="Payments")


@pytest.fixture
def approval_product(make_product):
    return make_product(display_name="Ledger", approval_required=True)


def make_subscription(owner, product, state="active", **fields):
    return Subscription.objects.create(
        owner=owner,
        product=product,
        display_name=fields.pop("display_name", f"sub {uuid4().hex[:6]}"),
        state=state,
        **fields,
    )


def fresh(subscription):
    return Subscription.objects.get(pk=subscription.pk)


def snapshot(subscription):
    row = fresh(subscription)
    return (
        row.state,
        row.state_comment,
        row.activated_at,
        row.ended_at,
        row.suspended_for_access,
        row.version,
        row.primary_secret,
        row.secondary_secret,
    )


# subscribe


def test_subscribe_without_approval_is_active_at_once(member, product):
    subscription = subscription_services.subscribe(
        developer=member, product=product, display_name="My app"
    )
    stored = fresh(subscription)
    assert stored.state == Subscription.State.ACTIVE
    assert stored.activated_at is not None
    assert stored.ended_at is None
    assert (stored.owner, stored.product, stored.display_name) == (member, product, "My app")


def test_subscribe_with_approval_waits(member, approval_product):
    subscription = subscription_services.subscribe(
        developer=member, product=approval_product, display_name="My app"
    )
    stored = fresh(subscription)
    assert stored.state == Subscription.State.SUBMITTED
    assert stored.activated_at is None


def test_subscribe_to_a_product_not_shared_with_the_developer_is_refused(
    developer, product, make_user
):
    # The developer is not in Partners.
    with pytest.raises(Product.DoesNotExist):
        subscription_services.subscribe(developer=developer, product=product, display_name="Nope")
    assert not Subscription.objects.exists()


def test_subscribe_to_an_unpublished_product_is_refused(member, make_product):
    hidden = make_product(state="notPublished")
    with pytest.raises(Product.DoesNotExist):
        subscription_services.subscribe(developer=member, product=hidden, display_name="Nope")
    assert not Subscription.objects.exists()


def test_subscribe_to_an_open_product_is_refused(member, make_product):
    open_product = make_product(subscription_required=False)
    with pytest.raises(subscription_services.SubscriptionRefused) as refused:
        subscription_services.subscribe(developer=member, product=open_product, display_name="Nope")
    assert refused.value.code == "open"
    assert "need no subscription" in " ".join(refused.value.messages)
    assert not Subscription.objects.exists()


def test_subscribe_without_accepting_the_terms_is_refused_on_the_field(member, make_product):
    with_terms = make_product(terms="Be nice.")
    with pytest.raises(subscription_services.SubscriptionRefused) as refused:
        subscription_services.subscribe(developer=member, product=with_terms, display_name="Nope")
    assert refused.value.message_dict == {"accept_terms": ["Accept the terms of use to subscribe."]}
    assert not Subscription.objects.exists()
    accepted = subscription_services.subscribe(
        developer=member, product=with_terms, display_name="Yes", accepted_terms=True
    )
    assert accepted.is_active


@pytest.mark.parametrize(
    ("existing", "refused"),
    [
        (["active", "active"], True),
        (["active", "suspended"], True),
        (["suspended", "suspended"], True),
        (["active", "submitted"], True),
        (["active", "cancelled", "cancelled"], False),
        (["active", "rejected", "rejected"], False),
        (["active", "expired"], False),
        (["cancelled", "rejected", "expired", "cancelled"], False),
    ],
)
def test_subscribe_limit_counts_held_subscriptions_only(member, make_product, existing, refused):
    limited = make_product(subscriptions_limit=2)
    for state in existing:
        make_subscription(member, limited, state)
    before = Subscription.objects.count()
    if refused:
        with pytest.raises(subscription_services.SubscriptionRefused):
            subscription_services.subscribe(
                developer=member, product=limited, display_name="One more"
            )
        assert Subscription.objects.count() == before
    else:
        subscription_services.subscribe(developer=member, product=limited, display_name="One more")
        assert Subscription.objects.count() == before + 1


def test_subscribe_limit_message_names_the_limit(member, make_product):
    limited = make_product(subscriptions_limit=1)
    subscription_services.subscribe(developer=member, product=limited, display_name="First")
    with pytest.raises(subscription_services.SubscriptionRefused) as refused:
        subscription_services.subscribe(developer=member, product=limited, display_name="Second")
    assert refused.value.code == "limit"
    assert refused.value.messages == [
        "You have reached this product's limit of 1 subscription per developer. "
        "Cancel one on your profile to subscribe again."
    ]


def test_subscribe_limit_is_per_developer_and_product(member, make_product, make_user, partners):
    limited = make_product(subscriptions_limit=1)
    other_product = make_product(subscriptions_limit=1)
    colleague = make_user()
    group_services.add_members(group=partners, users=[colleague], added_by=None)
    subscription_services.subscribe(developer=member, product=limited, display_name="Mine")
    subscription_services.subscribe(developer=colleague, product=limited, display_name="Theirs")
    subscription_services.subscribe(developer=member, product=other_product, display_name="Other")
    assert Subscription.objects.count() == 3


def test_subscribe_while_a_request_waits_is_refused_naming_it(member, approval_product):
    subscription_services.subscribe(
        developer=member, product=approval_product, display_name="First ask"
    )
    with pytest.raises(subscription_services.SubscriptionRefused) as refused:
        subscription_services.subscribe(
            developer=member, product=approval_product, display_name="Again"
        )
    assert refused.value.code == "pending"
    assert "“First ask”" in refused.value.messages[0]
    assert "waiting for approval" in refused.value.messages[0]
    assert Subscription.objects.count() == 1


@pytest.mark.parametrize("ending", ["cancel", "delete"])
def test_subscribe_again_after_an_approved_one_ended_still_needs_approval(
    member, approval_product, administrator, ending
):
    first = subscription_services.subscribe(
        developer=member, product=approval_product, display_name="First"
    )
    first = subscription_services.change_state(
        subscription=first, action="approve", actor=administrator
    )
    assert first.is_active
    if ending == "cancel":
        subscription_services.change_state(subscription=first, action="cancel", actor=administrator)
    else:
        first.delete()
    again = subscription_services.subscribe(
        developer=member, product=approval_product, display_name="Again"
    )
    stored = fresh(again)
    assert stored.state == Subscription.State.SUBMITTED
    assert stored.activated_at is None


def _race_to_subscribe(developer_pk, product_pk):
    barrier = threading.Barrier(2, timeout=10)
    errors = []
    results = []

    def work():
        try:
            barrier.wait()
            results.append(
                subscription_services.subscribe(
                    developer=User.objects.get(pk=developer_pk),
                    product=Product.objects.get(pk=product_pk),
                    display_name="Racer",
                )
            )
        except Exception as error:  # reported to the test, never swallowed
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_subscribe_racing_at_the_limit_leaves_exactly_one(developer):
    partners = group_services.create_group(name="racers", display_name="Racers")
    group_services.add_members(group=partners, users=[developer], added_by=None)
    limited = services.create_product(
        name="limited",
        display_name="Limited",
        state="published",
        groups=[partners],
        subscriptions_limit=1,
    )
    results, errors = _race_to_subscribe(developer.pk, limited.pk)
    assert Subscription.objects.filter(owner=developer, product=limited).count() == 1
    assert len(results) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], subscription_services.SubscriptionRefused)
    assert errors[0].code == "limit"


# keys


def test_keys_are_long_random_hex_and_unique(member, product):
    subscriptions = [
        subscription_services.subscribe(developer=member, product=product, display_name=f"App {i}")
        for i in range(5)
    ]
    keys = []
    for subscription in subscriptions:
        stored = fresh(subscription)
        assert stored.primary_secret != stored.secondary_secret
        keys += [stored.primary_secret, stored.secondary_secret]
    assert len(set(keys)) == len(keys)
    for key in keys:
        # At least 128 bits as hex.
        assert re.fullmatch(r"[0-9a-f]{32,}", key), key


@pytest.mark.parametrize(
    ("which", "changed", "kept"),
    [
        ("primary", "primary_secret", "secondary_secret"),
        ("secondary", "secondary_secret", "primary_secret"),
    ],
)
def test_regenerate_key_replaces_only_the_chosen_key(member, product, which, changed, kept):
    subscription = subscription_services.subscribe(
        developer=member, product=product, display_name="App"
    )
    before = fresh(subscription)
    subscription_services.regenerate_key(subscription=fresh(subscription), which=which)
    after = fresh(subscription)
    assert getattr(after, changed) != getattr(before, changed)
    assert re.fullmatch(r"[0-9a-f]{32,}", getattr(after, changed))
    assert getattr(after, kept) == getattr(before, kept)
    assert after.state == before.state


def test_keys_are_not_in_str_or_repr(member, product):
    subscription = fresh(
        subscription_services.subscribe(developer=member, product=product, display_name="App")
    )
    for text in (str(subscription), repr(subscription)):
        assert subscription.primary_secret not in text
        assert subscription.secondary_secret not in text
    assert subscription.sid in str(subscription)


def test_keys_never_reach_the_logs(
    member, approval_product, administrator, caplog, django_capture_on_commit_callbacks, mailoutbox
):
    caplog.set_level(logging.DEBUG)
    for name in ["django", "django.request", "django.db.backends", "products", "portal"]:
        caplog.set_level(logging.DEBUG, logger=name)
    seen = []
    with django_capture_on_commit_callbacks(execute=True):
        subscription = subscription_services.subscribe(
            developer=member, product=approval_product, display_name="App"
        )
        seen += [fresh(subscription).primary_secret, fresh(subscription).secondary_secret]
        subscription_services.change_state(
            subscription=subscription, action="approve", actor=administrator
        )
        subscription_services.regenerate_key(subscription=fresh(subscription), which="primary")
        subscription_services.regenerate_key(subscription=fresh(subscription), which="secondary")
    current = fresh(subscription)
    seen += [current.primary_secret, current.secondary_secret]
    gateway = Client()
    url = reverse("gateway_check")
    for key in seen:
        # Accepted, refused for another product, and unknown (old) keys.
        gateway.get(url, headers={"ocp-apim-subscription-key": key, "x-product": "ledger-x"})
        gateway.get(url, {"subscription-key": key, "product": approval_product.name})
        gateway.post(url, {"subscription-key": key})
    assert caplog.records, "nothing was logged, so this test checks nothing"
    for key in seen:
        assert key not in caplog.text
    for email in mailoutbox:
        for key in seen:
            assert key not in email.body


# change_state


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", STATES)
def test_change_state_follows_the_transition_table(member, product, administrator, state, action):
    sources, target = Subscription.TRANSITIONS[action]
    subscription = make_subscription(member, product, state)
    before = snapshot(subscription)
    if state in sources:
        changed = subscription_services.change_state(
            subscription=subscription, action=action, comment="  Because.  ", actor=administrator
        )
        stored = fresh(changed)
        assert stored.state == target
        assert stored.state_comment == "Because."
        assert stored.suspended_for_access is False
        if target == "active":
            assert stored.activated_at is not None
        if target in ("cancelled", "rejected"):
            assert stored.ended_at is not None
        else:
            assert stored.ended_at is None
    else:
        with pytest.raises(ValidationError) as refused:
            subscription_services.change_state(
                subscription=subscription, action=action, comment="Nope", actor=administrator
            )
        message = refused.value.messages[0]
        label = Subscription.State(state).label.lower()
        assert message == f"A subscription that is {label} can't be {PAST_TENSE[action]}."
        assert snapshot(subscription) == before


def test_change_state_approve_sets_activated_at_once(member, approval_product, administrator):
    subscription = make_subscription(member, approval_product, "submitted")
    approved = fresh(
        subscription_services.change_state(subscription=subscription, action="approve")
    )
    first = approved.activated_at
    assert first is not None
    subscription_services.change_state(subscription=approved, action="suspend")
    reactivated = fresh(
        subscription_services.change_state(subscription=approved, action="activate")
    )
    assert reactivated.state == "active"
    assert reactivated.activated_at == first
    assert reactivated.ended_at is None


def test_change_state_unknown_action_is_refused(member, product):
    subscription = make_subscription(member, product, "active")
    before = snapshot(subscription)
    with pytest.raises(ValidationError) as refused:
        subscription_services.change_state(subscription=subscription, action="explode")
    assert "explode" in refused.value.messages[0]
    assert snapshot(subscription) == before


def test_change_state_reads_the_current_row_not_the_callers_copy(member, product):
    subscription = make_subscription(member, product, "active")
    stale = fresh(subscription)
    subscription_services.change_state(subscription=subscription, action="cancel")
    with pytest.raises(ValidationError):
        subscription_services.change_state(subscription=stale, action="suspend")
    assert fresh(subscription).state == "cancelled"


def test_rename_subscription_validates_the_length(member, product):
    subscription = subscription_services.subscribe(
        developer=member, product=product, display_name="App"
    )
    subscription_services.rename_subscription(
        subscription=fresh(subscription), display_name="x" * 100
    )
    assert fresh(subscription).display_name == "x" * 100
    with pytest.raises(ValidationError):
        subscription_services.rename_subscription(
            subscription=fresh(subscription), display_name="y" * 101
        )
    assert fresh(subscription).display_name == "x" * 100


# emails


def test_waiting_email_goes_to_the_notification_address(
    member, approval_product, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    settings_row = SubscriptionSettings.load()
    settings_row.notification_email = "approvals@example.com"
    settings_row.save()
    with django_capture_on_commit_callbacks(execute=True):
        subscription = subscription_services.subscribe(
            developer=member, product=approval_product, display_name="My app"
        )
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["approvals@example.com"]
    link = settings.PORTICO_BASE_URL + reverse("subscriptions:detail", args=[subscription.sid])
    assert link in email.body.split()
    assert approval_product.display_name in email.subject
    assert member.email in email.body


def test_waiting_email_goes_to_every_active_administrator_without_an_address(
    member,
    approval_product,
    administrator,
    make_user,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    second = User.objects.create_superuser("second@example.com", "x-long-password-1")
    User.objects.create_superuser("gone@example.com", "x-long-password-1", state=User.State.BLOCKED)
    make_user(email="staffer@example.com", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        subscription = subscription_services.subscribe(
            developer=member, product=approval_product, display_name="My app"
        )
    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == sorted([administrator.email, second.email])
    link = settings.PORTICO_BASE_URL + reverse("subscriptions:detail", args=[subscription.sid])
    assert link in mailoutbox[0].body.split()


def test_no_waiting_email_without_approval(
    member, product, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscription_services.subscribe(developer=member, product=product, display_name="My app")
    assert mailoutbox == []


def test_approved_email_goes_to_the_developer(
    member, approval_product, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    subscription = subscription_services.subscribe(
        developer=member, product=approval_product, display_name="My app"
    )
    with django_capture_on_commit_callbacks(execute=True):
        subscription_services.change_state(
            subscription=subscription, action="approve", actor=administrator
        )
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [member.email]
    assert "approved" in email.subject
    assert "“My app”" in email.body
    assert approval_product.display_name in email.body


def test_rejected_email_gives_the_reason(
    member, approval_product, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    subscription = subscription_services.subscribe(
        developer=member, product=approval_product, display_name="My app"
    )
    with django_capture_on_commit_callbacks(execute=True):
        subscription_services.change_state(
            subscription=subscription,
            action="reject",
            comment="Use the sandbox first.",
            actor=administrator,
        )
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [member.email]
    assert "declined" in email.subject
    assert "Use the sandbox first." in email.body
    assert fresh(subscription).state_comment == "Use the sandbox first."


@pytest.mark.parametrize("action", ["suspend", "cancel"])
def test_other_state_changes_send_no_email(
    member, product, administrator, mailoutbox, django_capture_on_commit_callbacks, action
):
    subscription = make_subscription(member, product, "active")
    with django_capture_on_commit_callbacks(execute=True):
        subscription_services.change_state(
            subscription=subscription, action=action, actor=administrator
        )
    assert mailoutbox == []


# the access rule


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
    subscription_services.change_state(subscription=active, action="cancel", actor=administrator)
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
    before = [snapshot(s) for s in (active, by_hand, cancelled)]
    with django_capture_on_commit_callbacks(execute=True):
        services.set_state(product=shared, state=Product.State.NOT_PUBLISHED)
    assert [snapshot(s) for s in (active, by_hand, cancelled)] == before
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
        subscription_services.change_state(
            subscription=request, action="approve", actor=administrator
        )
    except ValidationError:
        assert fresh(request).state == "submitted"
        return
    stored = fresh(request)
    assert (stored.state, stored.suspended_for_access) == ("suspended", True)
    group_services.add_members(group=partners, users=[member], added_by=administrator)
    assert fresh(request).state == "active"


@pytest.mark.parametrize("write", ["regenerate_key", "rename_subscription"])
def test_key_and_name_writes_keep_a_state_changed_since_the_row_was_read(
    member, product, administrator, write
):
    subscription = subscription_services.subscribe(
        developer=member, product=product, display_name="App"
    )
    read_by_the_developer = fresh(subscription)
    subscription_services.change_state(
        subscription=subscription, action="suspend", actor=administrator
    )
    if write == "regenerate_key":
        subscription_services.regenerate_key(subscription=read_by_the_developer, which="primary")
    else:
        subscription_services.rename_subscription(
            subscription=read_by_the_developer, display_name="Renamed"
        )
    assert fresh(subscription).state == "suspended"


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
        subscription_services.change_state(
            subscription=request, action="approve", actor=administrator
        )
    subjects = [message.subject for message in mailoutbox]
    assert subjects == ["Some of your subscriptions are suspended"]
