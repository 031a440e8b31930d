"""subscriptions.rules: who may subscribe to what, and what a product's page offers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from subscriptions.models import Subscription
from subscriptions.rules import AZURE_LIMIT_MESSAGE, PREVIEW_MESSAGE, Offer, offer, refusal


def code_of(**kwargs):
    refused = refusal(**kwargs)
    return refused.code if refused else None


# refusal


def test_refusal_is_none_when_the_developer_may_subscribe(member, product):
    assert refusal(developer=member, product=product) is None
    assert refusal(developer=member, product=product, on_behalf=True) is None


def test_refusal_not_visible(outsider, product):
    refused = refusal(developer=outsider, product=product)
    assert refused.code == "not_visible"
    assert refused.messages == ["The developer can't see this product, so can't subscribe to it."]
    # An administrator's grant needs no sight of the product, as in Azure.
    assert refusal(developer=outsider, product=product, on_behalf=True) is None


def test_refusal_on_behalf_of_a_blocked_account(blocked_user, pending_user, product):
    refused = refusal(developer=blocked_user, product=product, on_behalf=True)
    assert refused.code == "blocked"
    assert refused.messages == [
        "blocked@example.com is blocked: unblock the account before granting it a subscription."
    ]
    # A pending account (not yet confirmed) may be granted one, as in Azure.
    assert refusal(developer=pending_user, product=product, on_behalf=True) is None


def test_refusal_not_visible_once_unpublished_except_to_an_administrator(
    member, administrator, make_product
):
    draft = make_product("Draft", state="notPublished")
    assert code_of(developer=member, product=draft) == "not_visible"
    assert refusal(developer=administrator, product=draft) is None


def test_refusal_open_product_needs_no_subscription(member, make_product):
    open_data = make_product("Open Data", subscription_required=False)
    refused = refusal(developer=member, product=open_data)
    assert refused.code == "open"
    assert refused.messages == ["This product is open: its APIs need no subscription."]
    assert refusal(developer=member, product=open_data, on_behalf=True) is None


def test_refusal_pending_names_the_waiting_request(member, approval_product, make_subscription):
    make_subscription(member, approval_product, "submitted", display_name="First try")
    refused = refusal(developer=member, product=approval_product)
    assert refused.code == "pending"
    assert "Your request “First try” is still waiting for approval." in refused.messages[0]
    assert refusal(developer=member, product=approval_product, on_behalf=True) is None


@pytest.mark.parametrize(
    ("limit", "wording"), [(1, "limit of 1 subscription per"), (2, "limit of 2 subscriptions per")]
)
def test_refusal_limit_counts_what_the_developer_holds(
    member, make_product, make_subscription, limit, wording
):
    capped = make_product("Capped", subscriptions_limit=limit)
    for state in ["active", "suspended"][:limit]:
        make_subscription(member, capped, state)
    refused = refusal(developer=member, product=capped)
    assert refused.code == "limit"
    assert wording in refused.messages[0]
    assert "Cancel one on your profile" in refused.messages[0]


def test_refusal_limit_on_behalf_uses_azures_words(member, make_product, make_subscription):
    capped = make_product("Capped", subscriptions_limit=1)
    make_subscription(member, capped, "submitted")
    refused = refusal(developer=member, product=capped, on_behalf=True)
    assert (refused.code, refused.messages) == ("limit", [AZURE_LIMIT_MESSAGE])
    assert AZURE_LIMIT_MESSAGE == "Subscriptions limit reached for same user."


def test_refusal_limit_ignores_ended_subscriptions_and_other_people(
    member, colleague, make_product, make_subscription
):
    capped = make_product("Capped", subscriptions_limit=1)
    for state in ["cancelled", "rejected", "expired"]:
        make_subscription(member, capped, state)
    make_subscription(colleague, capped, "active")
    assert refusal(developer=member, product=capped) is None


# offer


def test_offer_is_none_for_a_guest_and_for_an_open_product(member, product, make_product):
    assert offer(viewer=AnonymousUser(), product=product) is None
    open_data = make_product("Open Data", subscription_required=False)
    assert offer(viewer=member, product=open_data) is None
    assert offer(viewer=member, product=open_data, previewing=True) is None


def test_offer_in_a_preview_switches_subscribing_off(member, product, make_subscription):
    make_subscription(member, product)
    assert offer(viewer=member, product=product, previewing=True) == Offer(refused=PREVIEW_MESSAGE)


def test_offer_lists_the_latest_twenty_newest_first(
    member, colleague, product, make_product, make_subscription
):
    now = timezone.now()
    mine = [make_subscription(member, product) for _ in range(21)]
    for age, subscription in enumerate(mine):
        Subscription.objects.filter(pk=subscription.pk).update(
            created_at=now - timedelta(hours=age)
        )
    make_subscription(colleague, product)
    make_subscription(member, make_product("Elsewhere"))
    shown = offer(viewer=member, product=product)
    assert [subscription.pk for subscription in shown.mine] == [s.pk for s in mine[:20]]
    assert shown.refused == ""


def test_offer_says_why_subscribing_is_off(member, approval_product, make_subscription):
    waiting = make_subscription(member, approval_product, "submitted", display_name="First try")
    shown = offer(viewer=member, product=approval_product)
    assert shown.mine == [waiting]
    assert shown.refused.startswith("Your request “First try” is still waiting")


@pytest.mark.parametrize("states", [[], ["cancelled"], ["active"], ["submitted"], ["active"] * 2])
def test_refusal_given_what_the_developer_holds_answers_as_when_it_reads_them(
    member, make_product, make_subscription, states
):
    capped = make_product("Capped", subscriptions_limit=2)
    for state in states:
        make_subscription(member, capped, state)
    held = list(Subscription.objects.filter(owner=member, product=capped))
    read = refusal(developer=member, product=capped)
    given = refusal(developer=member, product=capped, held=held)
    assert (given and given.messages) == (read and read.messages)


def test_refusal_given_held_and_seen_asks_nothing(
    member, product, make_subscription, django_assert_num_queries
):
    held = [make_subscription(member, product, "submitted", display_name="First try")]
    with django_assert_num_queries(0):
        refused = refusal(developer=member, product=product, seen=True, held=held)
    assert refused.code == "pending"


@pytest.mark.parametrize(("holding", "refused"), [(21, False), (22, True)])
def test_offer_counts_past_the_twenty_it_shows(
    member, make_product, make_subscription, holding, refused
):
    capped = make_product("Capped", subscriptions_limit=22)
    for _ in range(holding):
        make_subscription(member, capped, "active")
    shown = offer(viewer=member, product=capped, seen=True)
    assert len(shown.mine) == 20
    assert (shown.refused != "") is refused


def test_offer_finds_a_waiting_request_past_the_twenty_it_shows(
    member, approval_product, make_subscription
):
    now = timezone.now()
    waiting = make_subscription(member, approval_product, "submitted", display_name="Old try")
    Subscription.objects.filter(pk=waiting.pk).update(created_at=now - timedelta(days=1))
    for _ in range(20):
        make_subscription(member, approval_product, "cancelled")
    shown = offer(viewer=member, product=approval_product, seen=True)
    assert waiting not in shown.mine
    assert shown.refused.startswith("Your request “Old try” is still waiting")
