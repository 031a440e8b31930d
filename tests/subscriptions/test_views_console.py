"""The console's Subscriptions tab and its Settings page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from subscriptions import services as subscription_services
from subscriptions.models import Subscription, SubscriptionSettings, new_subscription_key
from subscriptions.services import PAST_TENSE
from tests.conftest import fresh, messages_of


def page_text(response):
    return response.content.decode()


@pytest.fixture
def waiting(member, make_product):
    needs_approval = make_product(display_name="Ledger", approval_required=True)
    return fresh(
        subscription_services.subscribe(
            developer=member, product=needs_approval, display_name="Please"
        )
    )


def test_console_approve_activates_and_returns_to_the_subscription(client, administrator, waiting):
    client.force_login(administrator)
    response = client.post(reverse("subscriptions:change_state", args=[waiting.sid, "approve"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("subscriptions:detail", args=[waiting.sid])
    assert fresh(waiting).state == "active"


def test_console_reject_asks_first_with_a_reason(client, administrator, waiting):
    client.force_login(administrator)
    response = client.get(reverse("subscriptions:change_state", args=[waiting.sid, "reject"]))
    assert response.status_code == 200
    assert 'name="comment"' in response.content.decode()
    assert fresh(waiting).state == "submitted"


def test_console_reject_keeps_the_reason(client, administrator, waiting):
    client.force_login(administrator)
    response = client.post(
        reverse("subscriptions:change_state", args=[waiting.sid, "reject"]),
        {"comment": "Not yet."},
        follow=True,
    )
    after = fresh(waiting)
    assert (after.state, after.state_comment) == ("rejected", "Not yet.")
    assert "“Please” is now rejected. The developer has been emailed." in messages_of(response)


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("submitted", "suspend"),
        ("active", "approve"),
        ("cancelled", "activate"),
        ("expired", "cancel"),
    ],
)
def test_console_forbidden_action_shows_why_and_changes_nothing(
    client, administrator, member, product, state, action, make_subscription
):
    subscription = make_subscription(member, product, state)
    before = fresh(subscription)
    client.force_login(administrator)
    response = client.post(
        reverse("subscriptions:change_state", args=[subscription.sid, action]), follow=True
    )
    label = Subscription.State(state).label.lower()
    expected = f"A subscription that is {label} can't be {PAST_TENSE[action]}."
    assert expected in messages_of(response)
    assert escape(expected) in page_text(response)
    after = fresh(subscription)
    assert (after.state, after.version, after.state_comment) == (
        before.state,
        before.version,
        before.state_comment,
    )


def test_console_unknown_action_is_404(client, administrator, waiting):
    client.force_login(administrator)
    response = client.post(reverse("subscriptions:change_state", args=[waiting.sid, "explode"]))
    assert response.status_code == 404
    assert fresh(waiting).state == "submitted"


def test_console_unknown_subscription_is_404(client, administrator):
    client.force_login(administrator)
    assert client.get(reverse("subscriptions:detail", args=["nope"])).status_code == 404
    url = reverse("subscriptions:change_state", args=["nope", "approve"])
    assert client.post(url).status_code == 404


def test_console_detail_offers_only_allowed_actions(client, administrator, waiting):
    client.force_login(administrator)
    response = client.get(reverse("subscriptions:detail", args=[waiting.sid]))
    assert [action for action, _ in response.context["actions"]] == ["approve", "reject", "cancel"]
    assert waiting.primary_secret not in page_text(response)
    assert waiting.secondary_secret not in page_text(response)


# The list


@pytest.fixture
def searchable(member, colleague, make_product, make_subscription):
    alpha = make_product(display_name="Alpha API")
    beta = make_product(display_name="Beta API")
    return {
        "mine-alpha": make_subscription(member, alpha, display_name="Orchard app"),
        "mine-beta": make_subscription(member, beta, display_name="Harbour app", state="submitted"),
        "theirs-alpha": make_subscription(colleague, alpha, display_name="Meadow app"),
    }


def listed(client, **params):
    response = client.get(reverse("subscriptions:list"), params)
    assert response.status_code == 200
    return {subscription.display_name for subscription in response.context["page"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dev@example.com", {"Orchard app", "Harbour app"}),
        ("colleague@", {"Meadow app"}),
        ("Alpha API", {"Orchard app", "Meadow app"}),
        ("beta", {"Harbour app"}),
        ("orchard", {"Orchard app"}),
        ("meadow alpha", {"Meadow app"}),
        ("nothing-like-this", set()),
        ("", {"Orchard app", "Harbour app", "Meadow app"}),
    ],
)
def test_console_list_searches(client, administrator, searchable, query, expected):
    client.force_login(administrator)
    assert listed(client, q=query) == expected


def test_console_list_filters_by_state(client, administrator, searchable):
    client.force_login(administrator)
    assert listed(client, state="submitted") == {"Harbour app"}
    assert listed(client, state="active") == {"Orchard app", "Meadow app"}
    assert listed(client, state="cancelled") == set()
    assert listed(client, state="bogus") == {"Orchard app", "Harbour app", "Meadow app"}
    assert listed(client, state="active", q="meadow") == {"Meadow app"}


def bulk_subscriptions(owner, product, count):
    Subscription.objects.bulk_create(
        Subscription(
            owner=owner,
            product=product,
            display_name=f"Bulk {index:04}",
            state="active",
            primary_secret=new_subscription_key(),
            secondary_secret=new_subscription_key(),
        )
        for index in range(count)
    )


def test_console_list_paginates(client, administrator, settings, member, product):
    bulk_subscriptions(member, product, settings.PORTICO_PAGE_SIZE + 5)
    client.force_login(administrator)
    first = client.get(reverse("subscriptions:list"))
    assert len(first.context["page"].object_list) == settings.PORTICO_PAGE_SIZE
    assert first.context["page"].paginator.count == settings.PORTICO_PAGE_SIZE + 5
    second = client.get(reverse("subscriptions:list"), {"page": 2})
    assert len(second.context["page"].object_list) == 5
    shown = {s.pk for s in first.context["page"]} | {s.pk for s in second.context["page"]}
    assert len(shown) == settings.PORTICO_PAGE_SIZE + 5


def test_console_list_queries_do_not_grow_with_rows(
    client, administrator, member, colleague, make_product, make_api, assert_queries_do_not_grow
):
    products = [make_product() for _ in range(3)]
    apis = [make_api(f"Api {n}", products=products[:1]) for n in range(2)]
    client.force_login(administrator)

    def add_subscriptions(numbers):
        # Spread over two developers, three products and two APIs.
        Subscription.objects.bulk_create(
            Subscription(
                owner=[member, colleague][n % 2],
                product=products[n % 3] if n % 5 else None,
                api=None if n % 5 else apis[n % 2],
                display_name=f"Bulk {n:04}",
                state="active",
                primary_secret=new_subscription_key(),
                secondary_secret=new_subscription_key(),
            )
            for n in numbers
        )

    # 1. the session
    # 2. the signed-in user
    # 3. the menu's badge of waiting approvals, read from the shared cache
    # 4. the paginator's COUNT of the subscriptions (capped)
    # 5. the ids of one page of subscriptions
    # 6. those subscriptions, joined to their owners, products and APIs
    assert_queries_do_not_grow(reverse("subscriptions:list"), add_subscriptions, 6)


def test_console_shows_and_finds_a_subscription_to_one_api(
    client, administrator, member, make_api, product
):
    shipments = make_api("Shipments", products=[product])
    subscription = subscription_services.subscribe(
        developer=member, api=shipments, display_name="Tracker"
    )
    client.force_login(administrator)
    listed = page_text(client.get(reverse("subscriptions:list"), {"q": "shipments"}))
    assert "Tracker" in listed and "API: Shipments" in listed
    assert "Product or API" in listed
    detail = page_text(client.get(reverse("subscriptions:detail", args=[subscription.sid])))
    assert "this API alone" in detail and "shipments" in detail
    user_page = page_text(client.get(reverse("console:user_detail", args=[member.pk])))
    assert "API: Shipments" in user_page


# Settings


def test_settings_page_saves_both_fields(client, administrator):
    client.force_login(administrator)
    response = client.post(
        reverse("console:settings"),
        {"notification_email": "ops@example.com", "on_access_loss": "keep"},
        follow=True,
    )
    assert "Saved the settings." in messages_of(response)
    stored = SubscriptionSettings.load()
    assert (stored.notification_email, stored.on_access_loss) == ("ops@example.com", "keep")
    client.post(
        reverse("console:settings"), {"notification_email": "", "on_access_loss": "suspend"}
    )
    stored = SubscriptionSettings.load()
    assert (stored.notification_email, stored.on_access_loss) == ("", "suspend")


@pytest.mark.parametrize(
    "data",
    [
        {"notification_email": "not an email", "on_access_loss": "keep"},
        {"notification_email": "ops@", "on_access_loss": "keep"},
        {"notification_email": "ops@example.com", "on_access_loss": "delete"},
    ],
)
def test_settings_page_refuses_bad_values(client, administrator, data):
    client.force_login(administrator)
    response = client.post(reverse("console:settings"), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    stored = SubscriptionSettings.load()
    assert (stored.notification_email, stored.on_access_loss) == ("", "suspend")
