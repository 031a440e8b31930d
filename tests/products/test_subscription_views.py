"""Subscription pages: the developer's product page and profile, the console's
Subscriptions tab, product delete and the portal settings page."""

from __future__ import annotations

from uuid import uuid4

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from groups import services as group_services
from portal import preview
from products.models import Product
from subscriptions import services as subscription_services
from subscriptions.models import Subscription, SubscriptionSettings, new_subscription_key
from subscriptions.services import PAST_TENSE

SIGN_IN = "/signin/"


@pytest.fixture
def product(make_product):
    return make_product(name="payments", display_name="Payments")


@pytest.fixture
def colleague(make_user, partners):
    person = make_user(email="colleague@example.com")
    group_services.add_members(group=partners, users=[person], added_by=None)
    return person


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


def page(response):
    return response.content.decode()


def subscribe(client, product, **data):
    return client.post(
        reverse("portal:subscribe", args=[product.name]),
        {"display_name": "My app"} | data,
    )


def follow_messages(response):
    return [str(message) for message in response.context["messages"]]


# subscribing from the product page


def test_subscribe_view_creates_an_active_subscription(client, member, product):
    client.force_login(member)
    response = subscribe(client, product)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:profile")
    subscription = Subscription.objects.get()
    assert (subscription.owner, subscription.state) == (member, "active")
    assert subscription.activated_at is not None


def test_subscribe_view_creates_a_waiting_request(client, member, make_product):
    needs_approval = make_product(approval_required=True)
    client.force_login(member)
    response = subscribe(client, needs_approval)
    assert response.status_code == 302
    assert Subscription.objects.get().state == "submitted"


@pytest.mark.parametrize("case", ["not_shared", "unpublished", "missing"])
def test_subscribe_view_hides_products_the_developer_cannot_see(
    client, developer, member, make_product, case
):
    others = group_services.create_group(name="others", display_name="Others")
    if case == "not_shared":
        target = make_product(groups=[others])
    elif case == "unpublished":
        target = make_product(state="notPublished")
    else:
        target = Product(name="no-such-product")
    client.force_login(developer)
    assert subscribe(client, target).status_code == 404
    if case != "missing":
        assert client.get(reverse("portal:product", args=[target.name])).status_code == 404
    assert not Subscription.objects.exists()


def test_subscribe_view_refuses_an_open_product(client, member, make_product):
    open_product = make_product(subscription_required=False)
    client.force_login(member)
    response = subscribe(client, open_product)
    assert response.status_code == 400
    assert not Subscription.objects.exists()


def test_subscribe_view_asks_for_the_terms_and_keeps_what_was_typed(client, member, make_product):
    with_terms = make_product(terms="Be nice.")
    client.force_login(member)
    response = subscribe(client, with_terms, display_name="Typed by me")
    assert response.status_code == 400
    form = response.context["subscribe_form"]
    assert form.errors["accept_terms"] == ["Accept the terms of use to subscribe."]
    assert "Accept the terms of use to subscribe." in page(response)
    assert 'value="Typed by me"' in page(response)
    assert not Subscription.objects.exists()
    response = subscribe(client, with_terms, display_name="Typed by me", accept_terms="on")
    assert response.status_code == 302
    assert Subscription.objects.get().display_name == "Typed by me"


def test_subscribe_view_refuses_a_name_over_100_characters(client, member, product):
    client.force_login(member)
    response = subscribe(client, product, display_name="x" * 101)
    assert response.status_code == 400
    assert response.context["subscribe_form"].errors["display_name"]
    assert not Subscription.objects.exists()


def test_product_page_at_the_limit_explains_and_disables_subscribe(client, member, make_product):
    limited = make_product(subscriptions_limit=1)
    make_subscription(member, limited, "active", display_name="Only one")
    client.force_login(member)
    response = client.get(reverse("portal:product", args=[limited.name]))
    assert response.status_code == 200
    text = page(response)
    assert escape("You have reached this product's limit of 1 subscription per developer.") in text
    assert (
        '<button type="button" class="btn btn-primary" disabled '
        'aria-describedby="subscribe-blocked">Subscribe</button>'
    ) in text
    assert 'action="' + reverse("portal:subscribe", args=[limited.name]) not in text


def test_product_page_below_the_limit_offers_the_form(client, member, make_product):
    limited = make_product(subscriptions_limit=2)
    make_subscription(member, limited, "active")
    make_subscription(member, limited, "cancelled")
    client.force_login(member)
    response = client.get(reverse("portal:product", args=[limited.name]))
    assert "subscribe_blocked" not in response.context
    assert 'action="' + reverse("portal:subscribe", args=[limited.name]) in page(response)


def test_forged_subscribe_at_the_limit_is_refused(client, member, make_product):
    limited = make_product(subscriptions_limit=1)
    make_subscription(member, limited, "suspended")
    client.force_login(member)
    response = subscribe(client, limited)
    assert response.status_code == 400
    assert escape("You have reached this product's limit") in page(response)
    assert Subscription.objects.count() == 1


def test_product_page_names_the_waiting_request_and_refuses_another(client, member, make_product):
    needs_approval = make_product(approval_required=True)
    make_subscription(member, needs_approval, "submitted", display_name="First ask")
    client.force_login(member)
    response = client.get(reverse("portal:product", args=[needs_approval.name]))
    text = page(response)
    assert "“First ask”" in text
    assert "waiting for approval" in text
    assert 'disabled aria-describedby="subscribe-blocked">Subscribe' in text
    response = subscribe(client, needs_approval)
    assert response.status_code == 400
    assert "“First ask”" in page(response)
    assert Subscription.objects.count() == 1


def test_product_page_at_a_limit_filled_by_a_waiting_request_says_so(client, member, make_product):
    limited = make_product(subscriptions_limit=2, approval_required=True)
    make_subscription(member, limited, "active", display_name="Working")
    make_subscription(member, limited, "submitted", display_name="Pending one")
    client.force_login(member)
    response = client.get(reverse("portal:product", args=[limited.name]))
    blocked = response.context["offer"].refused
    assert "waiting" in blocked
    assert "“Pending one”" in blocked
    assert 'disabled aria-describedby="subscribe-blocked">Subscribe' in page(response)


def test_subscribe_is_refused_in_a_view_as_preview(client, administrator, member, product):
    client.force_login(administrator)
    response = client.post(reverse("console:view_as"), {"kind": "user", "key": str(member.pk)})
    assert response.status_code == 302
    assert preview.SESSION_KEY in client.session
    page_response = client.get(reverse("portal:product", args=[product.name]))
    assert "Subscribing is switched off in a preview." in page(page_response)
    response = subscribe(client, product)
    assert response.status_code == 302
    assert not Subscription.objects.exists()
    followed = client.get(response["Location"])
    assert "Subscribing is switched off in a preview." in page(followed)


def test_subscribe_refuses_get(client, member, product):
    client.force_login(member)
    assert client.get(reverse("portal:subscribe", args=[product.name])).status_code == 405


# the profile


@pytest.fixture
def mine(member, product):
    return fresh(
        subscription_services.subscribe(developer=member, product=product, display_name="Mine")
    )


@pytest.fixture
def theirs(colleague, product):
    return fresh(
        subscription_services.subscribe(developer=colleague, product=product, display_name="Theirs")
    )


def test_profile_lists_only_my_subscriptions(client, member, mine, theirs):
    client.force_login(member)
    response = client.get(reverse("portal:profile"))
    assert response.status_code == 200
    assert [s.pk for s in response.context["subscriptions"]] == [mine.pk]
    text = page(response)
    assert "Mine" in text
    assert "Theirs" not in text
    assert theirs.sid not in text


def test_profile_hides_keys_until_asked(client, member, mine):
    client.force_login(member)
    hidden = page(client.get(reverse("portal:profile")))
    assert mine.primary_secret not in hidden
    assert mine.secondary_secret not in hidden
    shown = page(client.get(reverse("portal:profile"), {"show": mine.sid}))
    assert mine.primary_secret in shown
    assert mine.secondary_secret in shown


def test_profile_never_shows_someone_elses_keys(client, member, mine, theirs):
    client.force_login(member)
    text = page(client.get(reverse("portal:profile"), {"show": theirs.sid}))
    assert theirs.primary_secret not in text
    assert theirs.secondary_secret not in text


def test_profile_show_of_someone_elses_subscription_is_404(client, member, mine, theirs):
    client.force_login(member)
    response = client.get(reverse("portal:profile"), {"show": theirs.sid})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("route", "extra"),
    [
        ("portal:regenerate_key", ["primary"]),
        ("portal:regenerate_key", ["secondary"]),
        ("portal:rename_subscription", []),
        ("portal:cancel_subscription", []),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_someone_elses_subscription_is_404(client, member, theirs, route, extra, method):
    before = (theirs.state, theirs.display_name, theirs.primary_secret, theirs.secondary_secret)
    client.force_login(member)
    url = reverse(route, args=[theirs.sid, *extra])
    response = getattr(client, method)(url, {"display_name": "Hijacked"})
    assert response.status_code == 404
    after = fresh(theirs)
    assert (after.state, after.display_name, after.primary_secret, after.secondary_secret) == before


@pytest.mark.parametrize(
    ("route", "extra"),
    [
        ("portal:profile", None),
        ("portal:regenerate_key", ["primary"]),
        ("portal:rename_subscription", []),
        ("portal:cancel_subscription", []),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in(client, mine, route, extra, method):
    url = reverse(route, args=None if extra is None else [mine.sid, *extra])
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)
    assert fresh(mine).state == "active"


def test_anonymous_subscribe_is_sent_to_sign_in(client, product):
    response = subscribe(client, product)
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("which", "field", "other"),
    [
        ("primary", "primary_secret", "secondary_secret"),
        ("secondary", "secondary_secret", "primary_secret"),
    ],
)
def test_regenerate_key_confirms_then_replaces_the_key(client, member, mine, which, field, other):
    client.force_login(member)
    url = reverse("portal:regenerate_key", args=[mine.sid, which])
    response = client.get(url)
    assert response.status_code == 200
    assert f"Regenerate the {which} key?" in page(response)
    assert getattr(fresh(mine), field) == getattr(mine, field)
    assert getattr(mine, field) not in page(response)
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:profile')}?show={mine.sid}#{mine.sid}"
    after = fresh(mine)
    assert getattr(after, field) != getattr(mine, field)
    assert getattr(after, other) == getattr(mine, other)


def test_regenerate_an_unknown_key_name_is_404(client, member, mine):
    client.force_login(member)
    response = client.post(reverse("portal:regenerate_key", args=[mine.sid, "tertiary"]))
    assert response.status_code == 404
    after = fresh(mine)
    assert (after.primary_secret, after.secondary_secret) == (
        mine.primary_secret,
        mine.secondary_secret,
    )


def test_cancel_confirms_then_cancels(client, member, mine):
    client.force_login(member)
    url = reverse("portal:cancel_subscription", args=[mine.sid])
    response = client.get(url)
    assert response.status_code == 200
    assert "Cancel “Mine”?" in page(response)
    assert fresh(mine).state == "active"
    response = client.post(url)
    assert response.status_code == 302
    after = fresh(mine)
    assert after.state == "cancelled"
    assert after.ended_at is not None


def test_cancel_of_a_cancelled_subscription_changes_nothing(client, member, mine):
    subscription_services.change_state(subscription=mine, action="cancel")
    before = fresh(mine)
    client.force_login(member)
    response = client.post(reverse("portal:cancel_subscription", args=[mine.sid]), follow=True)
    assert "there is nothing to cancel" in page(response)
    after = fresh(mine)
    assert (after.state, after.version) == (before.state, before.version)


def test_rename_accepts_100_characters_and_refuses_101(client, member, mine):
    client.force_login(member)
    url = reverse("portal:rename_subscription", args=[mine.sid])
    response = client.get(url)
    assert response.status_code == 200
    response = client.post(url, {"display_name": "y" * 101})
    assert response.status_code == 200
    assert response.context["form"].errors["display_name"]
    assert fresh(mine).display_name == "Mine"
    response = client.post(url, {"display_name": "z" * 100})
    assert response.status_code == 302
    assert fresh(mine).display_name == "z" * 100


def test_rename_refuses_an_empty_name(client, member, mine):
    client.force_login(member)
    response = client.post(
        reverse("portal:rename_subscription", args=[mine.sid]), {"display_name": "  "}
    )
    assert response.status_code == 200
    assert fresh(mine).display_name == "Mine"


# the console's Subscriptions tab


@pytest.fixture
def waiting(member, make_product):
    needs_approval = make_product(display_name="Ledger", approval_required=True)
    return fresh(
        subscription_services.subscribe(
            developer=member, product=needs_approval, display_name="Please"
        )
    )


CONSOLE_ACCESS = [
    ("anonymous", "sign-in"),
    ("developer", 403),
    ("support_staff", 403),
    ("blocked_user", "sign-in"),
    ("administrator", "ok"),
]


def sign_in_as(client, request, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))


@pytest.mark.parametrize(("who", "outcome"), CONSOLE_ACCESS)
@pytest.mark.parametrize("route", ["list", "detail"])
def test_console_subscription_pages_are_for_administrators(
    client, request, waiting, who, outcome, route
):
    sign_in_as(client, request, who)
    args = [waiting.sid] if route == "detail" else []
    response = client.get(reverse(f"subscriptions:{route}", args=args))
    if outcome == "sign-in":
        assert response.status_code == 302
        assert response["Location"].startswith(SIGN_IN)
    elif outcome == "ok":
        assert response.status_code == 200
    else:
        assert response.status_code == outcome


@pytest.mark.parametrize(("who", "outcome"), CONSOLE_ACCESS)
def test_console_change_state_is_for_administrators(client, request, waiting, who, outcome):
    sign_in_as(client, request, who)
    response = client.post(reverse("subscriptions:change_state", args=[waiting.sid, "approve"]))
    if outcome == "sign-in":
        assert response.status_code == 302
        assert response["Location"].startswith(SIGN_IN)
        assert fresh(waiting).state == "submitted"
    elif outcome == "ok":
        assert response.status_code == 302
        assert response["Location"] == reverse("subscriptions:detail", args=[waiting.sid])
        assert fresh(waiting).state == "active"
    else:
        assert response.status_code == outcome
        assert fresh(waiting).state == "submitted"


def test_console_change_state_by_get_changes_nothing(client, administrator, waiting):
    client.force_login(administrator)
    url = reverse("subscriptions:change_state", args=[waiting.sid, "approve"])
    assert client.get(url)["Location"] == waiting.get_absolute_url()
    assert fresh(waiting).state == "submitted"


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
    assert "“Please” is now rejected. The developer has been emailed." in follow_messages(response)


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
    client, administrator, member, product, state, action
):
    subscription = make_subscription(member, product, state)
    before = fresh(subscription)
    client.force_login(administrator)
    response = client.post(
        reverse("subscriptions:change_state", args=[subscription.sid, action]), follow=True
    )
    label = Subscription.State(state).label.lower()
    expected = f"A subscription that is {label} can't be {PAST_TENSE[action]}."
    assert expected in follow_messages(response)
    assert escape(expected) in page(response)
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
    assert waiting.primary_secret not in page(response)
    assert waiting.secondary_secret not in page(response)


@pytest.fixture
def searchable(member, colleague, make_product):
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


@pytest.mark.parametrize("count", [5, 500])
def test_console_list_query_count_does_not_grow(
    client, administrator, member, colleague, make_product, count
):
    products = [make_product() for _ in range(3)]
    for index, owner in enumerate([member, colleague]):
        bulk_subscriptions(owner, products[index], count // 2)
    bulk_subscriptions(member, products[2], count - 2 * (count // 2))
    client.force_login(administrator)
    # session, user, waiting count for the menu, paginator COUNT,
    # one page of subscriptions with owner and product
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("subscriptions:list"))
    assert response.status_code == 200
    assert len(queries) == 5, [q["sql"] for q in queries]


def test_console_menu_shows_how_many_wait(client, administrator, member, make_product):
    needs_approval = make_product(approval_required=True)
    for _ in range(3):
        make_subscription(member, needs_approval, "submitted")
    make_subscription(member, needs_approval, "active")
    make_subscription(member, needs_approval, "rejected")
    client.force_login(administrator)
    for url in (reverse("console:home"), reverse("subscriptions:list")):
        text = page(client.get(url))
        assert '3<span class="visually-hidden"> waiting for approval</span>' in text


def test_console_menu_shows_no_badge_when_nothing_waits(client, administrator):
    client.force_login(administrator)
    assert "waiting for approval</span>" not in page(client.get(reverse("console:home")))


# product delete


def test_product_delete_with_subscriptions_needs_the_box(client, administrator, member, product):
    make_subscription(member, product, "active")
    make_subscription(member, product, "cancelled")
    client.force_login(administrator)
    response = client.post(reverse("products:delete", args=[product.name]))
    assert response.status_code == 400
    assert escape("Payments has 2 subscriptions:") in page(response)
    assert Product.objects.filter(pk=product.pk).exists()
    assert Subscription.objects.filter(product=product).count() == 2


def test_product_delete_with_the_box_deletes_subscriptions(client, administrator, member, product):
    make_subscription(member, product, "active")
    make_subscription(member, product, "cancelled")
    client.force_login(administrator)
    response = client.post(
        reverse("products:delete", args=[product.name]), {"delete_subscriptions": "on"}
    )
    assert response.status_code == 302
    assert not Product.objects.filter(pk=product.pk).exists()
    assert not Subscription.objects.exists()


def test_product_delete_service_refuses_without_the_flag(member, product):
    make_subscription(member, product, "active")
    with pytest.raises(ValidationError) as refused:
        subscription_services.delete_product(product=product)
    assert refused.value.code == "has_subscriptions"
    assert Product.objects.filter(pk=product.pk).exists()


# the settings page


SETTINGS_ACCESS = [
    ("anonymous", "sign-in"),
    ("developer", 403),
    ("support_staff", 403),
    ("blocked_user", "sign-in"),
    ("administrator", "ok"),
]


@pytest.mark.parametrize(("who", "outcome"), SETTINGS_ACCESS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_settings_page_is_for_administrators(client, request, db, who, outcome, method):
    sign_in_as(client, request, who)
    response = getattr(client, method)(
        reverse("console:settings"),
        {"notification_email": "ops@example.com", "on_access_loss": "keep"},
    )
    stored = SubscriptionSettings.load()
    if outcome == "sign-in":
        assert response.status_code == 302
        assert response["Location"].startswith(SIGN_IN)
    elif outcome == "ok":
        assert response.status_code == (302 if method == "post" else 200)
    else:
        assert response.status_code == outcome
    changed = outcome == "ok" and method == "post"
    assert (stored.notification_email, stored.on_access_loss) == (
        ("ops@example.com", "keep") if changed else ("", "suspend")
    )


def test_settings_page_saves_both_fields(client, administrator):
    client.force_login(administrator)
    response = client.post(
        reverse("console:settings"),
        {"notification_email": "ops@example.com", "on_access_loss": "keep"},
        follow=True,
    )
    assert "Saved the settings." in follow_messages(response)
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
