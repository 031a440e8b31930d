"""The developer's own subscriptions: subscribing from a product's page, and on the
profile their keys, regenerating, renaming and cancelling."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from groups import services as group_services
from portal import preview
from products.models import Product
from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from tests.concurrency import run_together
from tests.conftest import fresh

SIGN_IN = "/signin/"


def page_text(response):
    return response.content.decode()


def subscribe(client, product, **data):
    return client.post(
        reverse("portal:subscribe", args=[product.name]),
        {"display_name": "My app"} | data,
    )


# Subscribing from the product page


def test_subscribe_view_creates_an_active_subscription(client, member, product):
    client.force_login(member)
    response = subscribe(client, product)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:profile")
    subscription = Subscription.objects.get()
    assert (subscription.owner, subscription.state) == (member, "active")
    assert subscription.activated_at is not None


def submission_of(page: str) -> str:
    found = re.search(r'name="submission" value="([^"]+)"', page)
    assert found, "the Subscribe form carries no submission value"
    return found[1]


def test_the_same_subscribe_form_sent_twice_makes_one_subscription(client, member, product):
    """A reload after Subscribe, a double click, a retry after a lost answer."""
    client.force_login(member)
    page = client.get(reverse("portal:product", args=[product.name])).content.decode()
    submission = submission_of(page)
    first = subscribe(client, product, submission=submission)
    again = subscribe(client, product, submission=submission)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == reverse("portal:profile")
    assert Subscription.objects.count() == 1


def test_each_showing_of_the_subscribe_form_is_a_new_submission(client, member, product):
    client.force_login(member)
    url = reverse("portal:product", args=[product.name])
    first = submission_of(client.get(url).content.decode())
    second = submission_of(client.get(url).content.decode())
    assert first != second
    subscribe(client, product, submission=first)
    subscribe(client, product, submission=second)
    assert Subscription.objects.count() == 2


def test_a_submission_value_is_one_developers_own(client, member, outsider, partners, product):
    """Another developer sending the same value gets a subscription of their own."""
    group_services.add_members(group=partners, users=[outsider], added_by=None)
    for person in (member, outsider):
        client.force_login(person)
        subscribe(client, product, submission="shared-value")
    assert sorted(Subscription.objects.values_list("owner__email", flat=True)) == sorted(
        [member.email, outsider.email]
    )


def test_a_submission_sent_again_to_another_product_names_the_first(
    client, member, product, make_product
):
    ledger = make_product("Ledger")
    client.force_login(member)
    subscribe(client, product, submission="one-form")
    response = subscribe(client, ledger, submission="one-form")
    assert response.status_code == 302
    assert Subscription.objects.get().product == product
    shown = page_text(client.get(response["Location"]))
    assert f"Subscribed to {product.display_name}." in shown


@pytest.mark.django_db(transaction=True)
def test_the_same_subscribe_form_sent_at_once_makes_one_subscription(member, product):
    def send(_):
        client = Client()
        client.force_login(member)
        return subscribe(client, product, submission="sent-twice-at-once").status_code

    results, errors = run_together(2, send)
    assert errors == []
    assert results == [302, 302]
    assert Subscription.objects.count() == 1


def test_subscribe_view_chooses_the_id_whatever_the_form_posts(client, member, product):
    """No page lets a person choose a subscription's ID; only the management API takes one."""
    client.force_login(member)
    assert subscribe(client, product, sid="..", name="\u202eevil").status_code == 302
    subscription = Subscription.objects.get(owner=member)
    assert re.fullmatch(r"[0-9a-f]{24}", subscription.sid)


def test_subscribe_view_creates_a_waiting_request(client, member, make_product):
    needs_approval = make_product(approval_required=True)
    client.force_login(member)
    response = subscribe(client, needs_approval)
    assert response.status_code == 302
    assert Subscription.objects.get().state == "submitted"


@pytest.mark.parametrize("case", ["not_shared", "unpublished", "missing"])
def test_subscribe_view_hides_products_the_developer_cannot_see(
    client, developer, member, others, make_product, case
):
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
    assert "Accept the terms of use to subscribe." in page_text(response)
    assert 'value="Typed by me"' in page_text(response)
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


def test_forged_subscribe_at_the_limit_is_refused(client, member, make_product, make_subscription):
    limited = make_product(subscriptions_limit=1)
    make_subscription(member, limited, "suspended")
    client.force_login(member)
    response = subscribe(client, limited)
    assert response.status_code == 400
    assert escape("You have reached this product's limit") in page_text(response)
    assert Subscription.objects.count() == 1


def test_product_page_names_the_waiting_request_and_refuses_another(
    client, member, make_product, make_subscription
):
    needs_approval = make_product(approval_required=True)
    make_subscription(member, needs_approval, "submitted", display_name="First ask")
    client.force_login(member)
    response = client.get(reverse("portal:product", args=[needs_approval.name]))
    text = page_text(response)
    assert "“First ask”" in text
    assert "waiting for approval" in text
    assert 'disabled aria-describedby="subscribe-blocked">Request subscription' in text
    response = subscribe(client, needs_approval)
    assert response.status_code == 400
    assert "“First ask”" in page_text(response)
    assert Subscription.objects.count() == 1


def test_subscribe_is_refused_in_a_view_as_preview(client, administrator, member, product):
    client.force_login(administrator)
    response = client.post(reverse("console:view_as"), {"kind": "user", "key": str(member.pk)})
    assert response.status_code == 302
    assert preview.SESSION_KEY in client.session
    page_response = client.get(reverse("portal:product", args=[product.name]))
    assert "Subscribing is switched off in a preview." in page_text(page_response)
    response = subscribe(client, product)
    assert response.status_code == 302
    assert not Subscription.objects.exists()
    followed = client.get(response["Location"])
    assert "Subscribing is switched off in a preview." in page_text(followed)


def test_subscribe_reloaded_goes_back_to_the_product_page(client, member, product):
    """Reloading the address Subscribe was sent to used to give a blank 405."""
    client.force_login(member)
    response = client.get(reverse("portal:subscribe", args=[product.name]))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:product", args=[product.name])
    assert not Subscription.objects.exists()


def test_subscribe_reloaded_hides_a_product_the_developer_cannot_see(
    client, developer, others, make_product
):
    hidden = make_product(groups=[others])
    client.force_login(developer)
    assert client.get(reverse("portal:subscribe", args=[hidden.name])).status_code == 404


def test_anonymous_subscribe_is_sent_to_sign_in(client, product):
    response = subscribe(client, product)
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)
    assert not Subscription.objects.exists()


# The profile


@pytest.mark.django_db
def test_profile_needs_sign_in(client, developer):
    response = client.get(reverse("portal:profile"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={reverse('portal:profile')}"
    client.force_login(developer)
    response = client.get(reverse("portal:profile"))
    assert response.status_code == 200
    assert b"dev@example.com" in response.content


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
    text = page_text(response)
    assert "Mine" in text
    assert "Theirs" not in text
    assert theirs.sid not in text


def test_profile_hides_keys_until_asked(client, member, mine):
    client.force_login(member)
    hidden = page_text(client.get(reverse("portal:profile")))
    assert mine.primary_secret not in hidden
    assert mine.secondary_secret not in hidden
    shown = page_text(client.get(reverse("portal:profile"), {"show": mine.sid}))
    assert mine.primary_secret in shown
    assert mine.secondary_secret in shown


def test_profile_never_shows_someone_elses_keys(client, member, mine, theirs):
    client.force_login(member)
    text = page_text(client.get(reverse("portal:profile"), {"show": theirs.sid}))
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
    assert f"Regenerate the {which} key?" in page_text(response)
    assert getattr(fresh(mine), field) == getattr(mine, field)
    assert getattr(mine, field) not in page_text(response)
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
    assert "Cancel “Mine”?" in page_text(response)
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
    assert "there is nothing to cancel" in page_text(response)
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


@pytest.mark.parametrize("state", ["cancelled", "expired"])
def test_an_ended_subscription_has_no_rename_and_refuses_one(
    client, member, mine, make_subscription, product, state
):
    """A cancelled subscription used to keep its Rename button on the profile."""
    if state == "cancelled":
        ended = subscription_services.change_state(subscription=mine, action="cancel")
    else:
        ended = make_subscription(owner=member, product=product, state=state, display_name="Old")
    name = fresh(ended).display_name
    client.force_login(member)
    url = reverse("portal:rename_subscription", args=[ended.sid])
    assert url not in page_text(client.get(reverse("portal:profile")))
    response = client.post(url, {"display_name": "New name"}, follow=True)
    assert "an ended subscription can&#x27;t be renamed" in page_text(response)
    assert fresh(ended).display_name == name
    assert client.get(url).status_code == 302


def test_a_held_subscription_keeps_its_rename_button(client, member, mine):
    client.force_login(member)
    url = reverse("portal:rename_subscription", args=[mine.sid])
    assert url in page_text(client.get(reverse("portal:profile")))
