"""subscriptions.services: subscribing, keys, state changes and renaming."""

from __future__ import annotations

import logging
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from groups import services as group_services
from portal.models import User
from products.models import Product
from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from subscriptions.services import PAST_TENSE
from tests.concurrency import run_together
from tests.conftest import fresh
from tests.subscriptions.conftest import row_state

STATES = [value for value, _ in Subscription.State.choices]


ACTIONS = list(Subscription.TRANSITIONS)


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
def test_subscribe_limit_counts_held_subscriptions_only(
    member, make_product, existing, refused, make_subscription
):
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
    first = subscription_services.change_state(subscription=first, action="approve")
    assert first.is_active
    if ending == "cancel":
        subscription_services.change_state(subscription=first, action="cancel")
    else:
        first.delete()
    again = subscription_services.subscribe(
        developer=member, product=approval_product, display_name="Again"
    )
    stored = fresh(again)
    assert stored.state == Subscription.State.SUBMITTED
    assert stored.activated_at is None


@pytest.mark.django_db(transaction=True)
def test_subscribe_racing_at_the_limit_leaves_exactly_one(member, make_product):
    limited = make_product("Limited", subscriptions_limit=1)

    def subscribe(_):
        return subscription_services.subscribe(
            developer=User.objects.get(pk=member.pk),
            product=Product.objects.get(pk=limited.pk),
            display_name="Racer",
        )

    results, errors = run_together(2, subscribe)
    assert Subscription.objects.filter(owner=member, product=limited).count() == 1
    assert len([result for result in results if result is not None]) == 1
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
        subscription_services.change_state(subscription=subscription, action="approve")
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
def test_change_state_follows_the_transition_table(
    member, product, administrator, state, action, make_subscription
):
    sources, target = Subscription.TRANSITIONS[action]
    subscription = make_subscription(member, product, state)
    before = row_state(subscription)
    if state in sources:
        changed = subscription_services.change_state(
            subscription=subscription, action=action, comment="  Because.  "
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
                subscription=subscription, action=action, comment="Nope"
            )
        message = refused.value.messages[0]
        label = Subscription.State(state).label.lower()
        assert message == f"A subscription that is {label} can't be {PAST_TENSE[action]}."
        assert row_state(subscription) == before


def test_change_state_approve_sets_activated_at_once(
    member, approval_product, administrator, make_subscription
):
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


def test_change_state_unknown_action_is_refused(member, product, make_subscription):
    subscription = make_subscription(member, product, "active")
    before = row_state(subscription)
    with pytest.raises(ValidationError) as refused:
        subscription_services.change_state(subscription=subscription, action="explode")
    assert "explode" in refused.value.messages[0]
    assert row_state(subscription) == before


@pytest.mark.parametrize("action", ["reject", "suspend", "cancel"])
def test_change_state_refuses_a_reason_holding_nul(member, product, make_subscription, action):
    """Found by tests/test_fuzz_forms.py: the console's reason reached PostgreSQL,
    which refuses NUL in text, as a DataError (a 500)."""
    subscription = make_subscription(
        member, product, "submitted" if action == "reject" else "active"
    )
    before = row_state(subscription)
    with pytest.raises(ValidationError):
        subscription_services.change_state(
            subscription=subscription, action=action, comment="before\x00after"
        )
    assert row_state(subscription) == before


def test_change_state_reads_the_current_row_not_the_callers_copy(
    member, product, make_subscription
):
    subscription = make_subscription(member, product, "active")
    stale = fresh(subscription)
    subscription_services.change_state(subscription=subscription, action="cancel")
    with pytest.raises(ValidationError):
        subscription_services.change_state(subscription=stale, action="suspend")
    assert fresh(subscription).state == "cancelled"


@pytest.mark.parametrize("write", ["regenerate_key", "rename_subscription"])
def test_key_and_name_writes_keep_a_state_changed_since_the_row_was_read(
    member, product, administrator, write
):
    subscription = subscription_services.subscribe(
        developer=member, product=product, display_name="App"
    )
    read_by_the_developer = fresh(subscription)
    subscription_services.change_state(subscription=subscription, action="suspend")
    if write == "regenerate_key":
        subscription_services.regenerate_key(subscription=read_by_the_developer, which="primary")
    else:
        subscription_services.rename_subscription(
            subscription=read_by_the_developer, display_name="Renamed"
        )
    assert fresh(subscription).state == "suspended"


# rename_subscription


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


# delete_product


def test_product_delete_service_refuses_without_the_flag(member, product, make_subscription):
    make_subscription(member, product, "active")
    with pytest.raises(ValidationError) as refused:
        subscription_services.delete_product(product=product)
    assert refused.value.code == "has_subscriptions"
    assert Product.objects.filter(pk=product.pk).exists()
