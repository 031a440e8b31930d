"""subscriptions.services.create_subscription: an administrator's grant, and how the
access-removed rule (reconcile_access) treats a grant on a product its owner can't see."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from groups import services as group_services
from portal import services as portal_services
from products import services as product_services
from subscriptions import services
from subscriptions.models import Subscription, SubscriptionSettings
from subscriptions.rules import AZURE_LIMIT_MESSAGE
from tests.conftest import fresh


@pytest.fixture
def hidden(make_product, beta):
    """Hidden Gems: published, shared with Beta testers only."""
    return make_product("Hidden Gems", groups=[beta])


def grant(*, owner, product, actor, sid="granted", **options):
    return services.create_subscription(
        sid=sid, owner=owner, product=product, display_name="Given", actor=actor, **options
    )


def test_a_grant_beyond_sight_is_made_active_and_marked(outsider, hidden, administrator):
    made = fresh(grant(owner=outsider, product=hidden, actor=administrator))
    assert (made.owner, made.product, made.state) == (outsider, hidden, "active")
    assert made.activated_at is not None
    assert (made.granted, made.granted_by, made.beyond_sight) == (True, administrator, True)


def test_a_grant_without_a_state_waits_when_the_product_needs_approval(
    outsider, make_product, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    ledger = make_product("Ledger", approval_required=True, groups=[])
    with django_capture_on_commit_callbacks(execute=True):
        made = grant(owner=outsider, product=ledger, actor=administrator)
    assert (made.state, made.activated_at) == ("submitted", None)
    # The administrator made it: nobody is emailed to approve it.
    assert mailoutbox == []


@pytest.mark.parametrize("state", ["active", "submitted"])
def test_a_grant_takes_the_state_given(outsider, make_product, administrator, state):
    ledger = make_product("Ledger", approval_required=True, groups=[])
    assert grant(owner=outsider, product=ledger, actor=administrator, state=state).state == state


def test_a_grant_on_a_product_the_owner_sees_is_not_beyond_sight(member, product, administrator):
    made = grant(owner=member, product=product, actor=administrator)
    assert (made.granted, made.beyond_sight) == (True, False)


@pytest.mark.parametrize("state", ["suspended", "cancelled", "rejected", "expired", "nonsense"])
def test_a_grant_in_another_state_is_refused(outsider, hidden, administrator, state):
    with pytest.raises(ValidationError) as refused:
        grant(owner=outsider, product=hidden, actor=administrator, state=state)
    assert refused.value.message_dict == {
        "state": ["A new subscription starts as submitted or active."]
    }
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "who", ["developer", "support_staff", "blocked_admin", "demoted_admin", "nobody"]
)
def test_only_an_administrator_grants(outsider, hidden, make_user, request, who):
    actor = {
        "blocked_admin": lambda: make_user(is_superuser=True, state="blocked"),
        "demoted_admin": lambda: make_user(is_superuser=False, is_staff=True),
        "nobody": lambda: None,
    }.get(who, lambda: request.getfixturevalue(who))()
    with pytest.raises(PermissionDenied):
        grant(owner=outsider, product=hidden, actor=actor)
    assert not Subscription.objects.exists()


def test_a_blocked_account_is_refused_by_name(blocked_user, hidden, administrator):
    with pytest.raises(ValidationError) as refused:
        grant(owner=blocked_user, product=hidden, actor=administrator)
    assert refused.value.message_dict == {
        "owner": [
            "blocked@example.com is blocked: unblock the account before granting it a subscription."
        ]
    }
    assert not Subscription.objects.exists()


def test_a_grant_counts_towards_the_limit_and_is_held_to_it(outsider, make_product, administrator):
    """As in Azure, where the API answers "Subscriptions limit reached for same user"."""
    capped = make_product("Capped", subscriptions_limit=1, groups=[])
    grant(owner=outsider, product=capped, actor=administrator, sid="first")
    with pytest.raises(ValidationError) as refused:
        grant(owner=outsider, product=capped, actor=administrator, sid="second")
    assert refused.value.messages == [AZURE_LIMIT_MESSAGE]
    assert list(Subscription.objects.values_list("sid", flat=True)) == ["first"]


@pytest.mark.parametrize(
    ("state", "words"), [("active", "its keys are on"), ("submitted", "waits")]
)
def test_notify_owner_emails_the_developer(
    outsider, hidden, administrator, mailoutbox, django_capture_on_commit_callbacks, state, words
):
    with django_capture_on_commit_callbacks(execute=True):
        grant(owner=outsider, product=hidden, actor=administrator, state=state, notify_owner=True)
        grant(owner=outsider, product=hidden, actor=administrator, sid="quiet")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [outsider.email]
    assert "“Given” to Hidden Gems" in mailoutbox[0].body
    assert words in mailoutbox[0].body


def test_the_mark_outlives_the_granting_account(outsider, hidden, make_user):
    admin = make_user(is_superuser=True, is_staff=True)
    made = grant(owner=outsider, product=hidden, actor=admin)
    # Another administrator stays: the last one is never deleted.
    make_user(is_superuser=True)
    portal_services.delete_user(user=admin, actor=None)
    assert (fresh(made).granted, fresh(made).granted_by) == (True, None)


# The access-removed rule


def test_an_unrelated_change_of_sight_leaves_a_grant_beyond_sight_alone(
    member, partners, outsider, hidden, administrator, mailoutbox
):
    mine = grant(owner=member, product=hidden, actor=administrator)
    group_services.remove_member(group=partners, user=member)
    portal_services.block_user(user=member, actor=administrator)
    portal_services.unblock_user(user=fresh(member))
    assert (fresh(mine).state, fresh(mine).beyond_sight) == ("active", True)
    assert mailoutbox == []


def test_approving_a_grant_beyond_sight_leaves_it_active(outsider, make_product, administrator):
    ledger = make_product("Ledger", approval_required=True, groups=[])
    waiting = grant(owner=outsider, product=ledger, actor=administrator)
    approved = services.change_state(subscription=waiting, action="approve")
    assert (approved.state, approved.beyond_sight) == ("active", True)


def test_once_seen_a_grant_is_ordinary_and_losing_sight_suspends_it(
    outsider, beta, hidden, administrator
):
    mine = grant(owner=outsider, product=hidden, actor=administrator)
    group_services.add_members(group=beta, users=[outsider], added_by=administrator)
    assert (fresh(mine).state, fresh(mine).beyond_sight) == ("active", False)
    group_services.remove_member(group=beta, user=outsider)
    stored = fresh(mine)
    assert (stored.state, stored.state_comment) == ("suspended", Subscription.ACCESS_REMOVED)
    assert stored.suspended_for_access is True
    # Seeing it again gives it back, as for any subscription the rule suspended.
    group_services.add_members(group=beta, users=[outsider], added_by=administrator)
    assert fresh(mine).state == "active"


def test_a_grant_on_a_product_the_owner_sees_follows_the_rule(
    member, partners, product, administrator
):
    mine = grant(owner=member, product=product, actor=administrator)
    product_services.revoke_access(product=product, group=partners)
    assert (fresh(mine).state, fresh(mine).suspended_for_access) == ("suspended", True)


def test_with_the_keep_rule_sight_still_turns_a_grant_ordinary(
    outsider, beta, hidden, administrator
):
    services.update_settings(
        notification_email="", on_access_loss=SubscriptionSettings.AccessLoss.KEEP
    )
    mine = grant(owner=outsider, product=hidden, actor=administrator)
    group_services.add_members(group=beta, users=[outsider], added_by=administrator)
    group_services.remove_member(group=beta, user=outsider)
    assert (fresh(mine).state, fresh(mine).beyond_sight) == ("active", False)


def test_the_email_for_a_grant_of_one_api_names_the_api(
    outsider, make_api, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    """Found by review: the subject read "A subscription to  was requested for you"."""
    shipments = make_api("Shipments")
    with django_capture_on_commit_callbacks(execute=True):
        services.create_subscription(
            sid="given",
            owner=outsider,
            api=shipments,
            display_name="Given",
            state="submitted",
            actor=administrator,
            notify_owner=True,
        )
    [email] = mailoutbox
    assert email.subject == "A subscription to the Shipments API was requested for you"
    assert "“Given” to the Shipments API." in email.body
