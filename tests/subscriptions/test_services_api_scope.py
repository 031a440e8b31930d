"""subscriptions.services and rules for subscriptions to one API: who may subscribe,
with which approval, limit and terms (those of the products the developer sees it
through), and the database's rule that a subscription has exactly one scope."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apis import services as api_services
from apis.models import Api
from subscriptions import services
from subscriptions.models import Subscription
from subscriptions.rules import AZURE_LIMIT_MESSAGE, SubscriptionRefused, api_terms, refusal


@pytest.fixture
def shipments(make_api, product):
    """Shipments, an API inside Payments (which Partners see)."""
    return make_api("Shipments", products=[product])


def subscribe(developer, api, **kwargs):
    kwargs.setdefault("display_name", "Tracker")
    return services.subscribe(developer=developer, api=api, **kwargs)


def test_subscribing_to_a_visible_api_gives_an_active_subscription_to_it(member, shipments):
    subscription = subscribe(member, shipments)
    assert (subscription.api, subscription.product) == (shipments, None)
    assert subscription.state == Subscription.State.ACTIVE
    assert subscription.activated_at is not None
    assert subscription.scope == shipments
    assert subscription.scope_label == "API: Shipments"


@pytest.mark.parametrize(
    "where",
    ["no product", "a product of another group", "an unpublished product"],
)
def test_a_hidden_api_is_refused_as_if_it_did_not_exist(
    member, make_api, make_product, others, where
):
    products = {
        "no product": [],
        "a product of another group": [make_product("Others only", groups=[others])],
        "an unpublished product": [make_product("Draft", state="notPublished")],
    }[where]
    hidden = make_api("Hidden", products=products)
    with pytest.raises(Api.DoesNotExist):
        subscribe(member, hidden)
    assert not Subscription.objects.exists()


def test_an_administrator_may_subscribe_to_an_api_in_no_product(administrator, make_api):
    loose = make_api("Loose")
    assert subscribe(administrator, loose).state == Subscription.State.ACTIVE


def test_an_open_api_needs_no_subscription(member, make_api, product):
    open_api = make_api("Weather feed", products=[product], subscription_required=False)
    with pytest.raises(SubscriptionRefused, match="This API is open"):
        subscribe(member, open_api)


def test_approval_is_needed_when_any_product_showing_the_api_needs_it(
    member, make_api, product, approval_product, administrator, django_capture_on_commit_callbacks
):
    both = make_api("Shipments", products=[product, approval_product])
    with django_capture_on_commit_callbacks(execute=True):
        subscription = subscribe(member, both)
    assert subscription.state == Subscription.State.SUBMITTED
    assert subscription.activated_at is None
    assert "New subscription request waiting" in mail.outbox[-1].subject
    assert "asks to subscribe to the Shipments API" in mail.outbox[-1].body
    # Waiting for approval: a second request waits for the first.
    with pytest.raises(SubscriptionRefused, match="still waiting for approval"):
        subscribe(member, both, display_name="Again")


def test_a_product_needing_approval_that_the_developer_does_not_see_plays_no_part(
    member, make_api, make_product, product, others
):
    unseen = make_product("Unseen", groups=[others], approval_required=True, subscriptions_limit=1)
    api = make_api("Shipments", products=[product, unseen])
    terms = api_terms(developer=member, api=api)
    assert terms.products == [product]
    assert not terms.approval_required
    assert terms.subscriptions_limit is None


def test_the_lowest_limit_of_the_products_holds_for_the_api(member, make_api, make_product):
    three = make_product("Three", subscriptions_limit=3)
    one = make_product("One", subscriptions_limit=1)
    api = make_api("Shipments", products=[three, one])
    subscribe(member, api)
    refused = refusal(developer=member, api=api)
    assert refused.code == "limit"
    assert "this API's limit of 1 subscription per developer" in refused.messages[0]
    with pytest.raises(SubscriptionRefused):
        subscribe(member, api, display_name="Second")
    assert refusal(developer=member, api=api, on_behalf=True).messages == [AZURE_LIMIT_MESSAGE]


def test_the_limit_counts_subscriptions_to_the_api_not_to_its_products(
    member, make_api, make_product, make_subscription
):
    one = make_product("One", subscriptions_limit=1)
    api = make_api("Shipments", products=[one])
    make_subscription(member, one)
    assert refusal(developer=member, api=api) is None
    cancelled = subscribe(member, api)
    services.change_state(subscription=cancelled, action="cancel")
    assert refusal(developer=member, api=api) is None


def test_terms_of_every_product_showing_the_api_are_accepted_together(
    member, make_api, make_product
):
    api = make_api(
        "Shipments",
        products=[make_product("Plain"), make_product("Strict", terms="Be nice.")],
    )
    assert [p.name for p in api_terms(developer=member, api=api).with_terms] == ["strict"]
    with pytest.raises(SubscriptionRefused) as refused:
        subscribe(member, api)
    assert refused.value.message_dict == {"accept_terms": ["Accept the terms of use to subscribe."]}
    assert subscribe(member, api, accepted_terms=True).is_active


def test_the_same_form_sent_twice_is_one_subscription_to_the_api(member, shipments):
    first = subscribe(member, shipments, submission="abc")
    again = subscribe(member, shipments, submission="abc")
    assert first.pk == again.pk
    assert Subscription.objects.count() == 1


@pytest.mark.parametrize("both", [True, False], ids=["both", "neither"])
def test_subscribe_takes_exactly_one_scope(member, product, shipments, both):
    scope = {"product": product, "api": shipments} if both else {}
    with pytest.raises(ValidationError) as refused:
        services.subscribe(developer=member, display_name="x", **scope)
    assert "scope" in refused.value.message_dict
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("both", [True, False], ids=["both", "neither"])
def test_the_database_holds_one_scope_per_subscription(member, product, shipments, both):
    scope = {"product": product, "api": shipments} if both else {}
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.create(owner=member, display_name="x", **scope)


# An administrator's subscription (the management API's PUT)


def test_create_subscription_to_an_api_for_a_developer(member, shipments, administrator):
    created = services.create_subscription(
        sid="tracker",
        owner=member,
        api=shipments,
        display_name="Tracker",
        state="active",
        actor=administrator,
    )
    assert (created.api, created.product, created.state) == (shipments, None, "active")
    assert (created.granted, created.beyond_sight) == (True, False)


def test_granting_a_hidden_api_stands_on_the_grant(outsider, shipments, administrator):
    created = services.create_subscription(
        sid="tracker", owner=outsider, api=shipments, display_name="Tracker", actor=administrator
    )
    assert (created.state, created.granted, created.beyond_sight) == ("active", True, True)


def test_granting_an_api_to_a_blocked_account_is_refused(blocked_user, shipments, administrator):
    with pytest.raises(SubscriptionRefused) as refused:
        services.create_subscription(
            sid="t", owner=blocked_user, api=shipments, display_name="T", actor=administrator
        )
    assert list(refused.value.message_dict) == ["owner"]


def test_a_standalone_subscription_to_any_api(make_api, administrator):
    loose = make_api("Loose")
    created = services.create_subscription(
        sid="ci", owner=None, api=loose, display_name="CI", actor=administrator
    )
    assert created.api == loose


# Deleting


def test_deleting_an_api_with_subscriptions_to_it_is_refused_unless_asked(member, shipments):
    subscribe(member, shipments)
    with pytest.raises(ValidationError, match="has 1 subscription to it alone"):
        services.delete_api(api=shipments)
    summary = services.delete_api(api=shipments, delete_subscriptions=True)
    assert "its 1 subscriptions were deleted" in summary.consequences
    assert not Subscription.objects.exists()


def test_deleting_an_api_keeps_the_product_subscriptions(member, product, shipments, subscription):
    services.delete_api(api=shipments)
    assert Subscription.objects.get(pk=subscription.pk).is_active


def test_removing_the_api_from_its_only_product_suspends_and_emails(
    member, product, shipments, django_capture_on_commit_callbacks
):
    subscription = subscribe(member, shipments)
    with django_capture_on_commit_callbacks(execute=True):
        api_services.remove_api(product=product, api=shipments)
    subscription.refresh_from_db()
    assert (subscription.state, subscription.state_comment) == ("suspended", "Access removed")
    assert "Tracker (the Shipments API)" in mail.outbox[0].body


def test_keep_rule_leaves_api_subscriptions_working(member, product, shipments):
    services.update_settings(notification_email="", on_access_loss="keep")
    subscription = subscribe(member, shipments)
    api_services.remove_api(product=product, api=shipments)
    subscription.refresh_from_db()
    assert subscription.is_active
