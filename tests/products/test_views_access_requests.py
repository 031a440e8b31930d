"""Listed products as pages: the catalogue's listed cards, the listed product page
with Request access, the sub-pages that stay hidden, and the profile's requests."""

from __future__ import annotations

import pytest
from django.urls import reverse

from products import services
from products.models import AccessRequest, Product
from subscriptions.models import Subscription
from tests.conftest import messages_of, shown_products

SIGN_IN = "/signin/"


@pytest.fixture
def starter(make_product, make_api, partners):
    """Starter: published and listed, seen by Partners (and Administrators), with an API."""
    product = make_product(
        "Starter",
        description="Build **quickly**",
        terms="Secret *terms*",
        listed=True,
        groups=[partners],
    )
    make_api("Starter Ledger", products=[product])
    return product


@pytest.fixture
def hidden(make_product, partners):
    return make_product("Hidden Deals", description="Not for you", groups=[partners])


@pytest.fixture
def waiting(starter, outsider):
    return services.request_access(user=outsider, product=starter, reason="We <build> apps")


def url(starter):
    return reverse("portal:product", args=[starter.name])


def ask_url(starter):
    return reverse("portal:request_access", args=[starter.name])


# --- The catalogue ---------------------------------------------------------------


def test_catalogue_shows_listed_products_after_the_visible_ones(
    client, starter, hidden, make_product, developers, outsider
):
    make_product("Weather", groups=[developers])
    make_product("Atlas", listed=True, groups=[])
    client.force_login(outsider)
    response = client.get(reverse("portal:products"))
    assert shown_products(response) == ["weather", "atlas", "starter"]
    assert response.text.count("Listed — request access") == 2
    assert "Hidden Deals" not in response.text


def test_catalogue_shows_a_product_its_viewer_sees_as_usual(client, starter, member):
    client.force_login(member)
    response = client.get(reverse("portal:products"))
    assert shown_products(response) == ["starter"]
    assert "Listed —" not in response.text


def test_guests_see_listed_products_with_sign_in_to_request(client, starter, hidden):
    response = client.get(reverse("portal:products"))
    assert shown_products(response) == ["starter"]
    assert "Listed — sign in to request access" in response.text


def test_administrators_see_everything_as_before(client, starter, hidden, administrator):
    client.force_login(administrator)
    response = client.get(reverse("portal:products"))
    assert set(shown_products(response)) == {"starter", "hidden-deals"}
    assert "Listed —" not in response.text


def test_catalogue_search_finds_listed_products(client, starter, make_product, outsider):
    make_product("Other", listed=True, groups=[])
    client.force_login(outsider)
    assert shown_products(client.get(reverse("portal:products"), {"q": "quickly"})) == ["starter"]
    assert shown_products(client.get(reverse("portal:products"), {"q": "nothing"})) == []


def test_catalogue_pages_through_visible_then_listed(client, make_product, outsider, developers):
    for number in range(10):
        make_product(f"Seen {number:02}", groups=[developers])
        make_product(f"Asked {number:02}", listed=True, groups=[])
    client.force_login(outsider)
    first = shown_products(client.get(reverse("portal:products")))
    second = shown_products(client.get(reverse("portal:products"), {"page": 2}))
    assert first == [f"seen-{n:02}" for n in range(10)] + ["asked-00", "asked-01"]
    assert second == [f"asked-{n:02}" for n in range(2, 10)]


@pytest.mark.parametrize("who", ["anonymous", "outsider", "member"])
def test_catalogue_queries_stay_constant_with_listed_products(
    client, make_product, partners, developers, sign_in_as, who, django_assert_max_num_queries
):
    sign_in_as(who)
    make_product("Seen", groups=[developers])
    make_product("Asked", listed=True, groups=[partners])
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("portal:products"))
    for number in range(15):
        make_product(f"Seen {number}", groups=[developers])
        make_product(f"Asked {number}", listed=True, groups=[partners])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("portal:products"))
    assert len(shown_products(response)) == 12


# --- The listed product's page ---------------------------------------------------


def test_listed_page_shows_name_description_and_request_access_only(client, starter, outsider):
    client.force_login(outsider)
    response = client.get(url(starter))
    assert response.status_code == 200
    assert "<strong>quickly</strong>" in response.text
    assert "Request access" in response.text
    assert ask_url(starter) in response.text
    for hidden_text in (
        "Starter Ledger",
        "Secret",
        "Subscribe",
        reverse("portal:subscribe", args=[starter.name]),
        "/apis/",
    ):
        assert hidden_text not in response.text.replace('href="/apis/">APIs', "")


def test_guests_are_offered_to_sign_in(client, starter):
    response = client.get(url(starter))
    assert response.status_code == 200
    assert "Sign in to request access" in response.text
    assert f"{SIGN_IN}?next=/products/starter/" in response.text
    assert ask_url(starter) not in response.text


def test_a_viewer_who_sees_it_gets_the_full_page(client, starter, member):
    client.force_login(member)
    response = client.get(url(starter))
    assert "Starter Ledger" in response.text
    assert ask_url(starter) not in response.text


@pytest.mark.parametrize("who", ["anonymous", "outsider", "support_staff"])
def test_a_product_neither_visible_nor_listed_is_404(client, hidden, sign_in_as, who):
    sign_in_as(who)
    assert client.get(url(hidden)).status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_a_listed_draft_is_404(client, make_product, sign_in_as, who):
    draft = make_product("Draft", listed=True, state=Product.State.NOT_PUBLISHED)
    sign_in_as(who)
    assert client.get(url(draft)).status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "outsider", "support_staff", "waiting_user"])
def test_every_other_page_of_a_listed_product_stays_hidden(
    client, starter, sign_in_as, who, request
):
    if who == "waiting_user":
        client.force_login(request.getfixturevalue("waiting").user)
    else:
        sign_in_as(who)
    ledger = "starter-ledger"
    for hidden_url in (
        reverse("portal:api", args=[ledger]),
        reverse("portal:api_document", args=[ledger]),
        reverse("portal:api_document_yaml", args=[ledger]),
    ):
        assert client.get(hidden_url).status_code == 404, hidden_url
    if who != "anonymous":
        response = client.post(
            reverse("portal:subscribe", args=[starter.name]), {"display_name": "Sneaky"}
        )
        assert response.status_code == 404
        response = client.post(
            reverse("portal:subscribe_api", args=[ledger]), {"display_name": "Sneaky"}
        )
        assert response.status_code == 404
    apis = client.get(reverse("portal:apis"), {"product": starter.name})
    if apis.status_code == 200:
        assert "Starter Ledger" not in apis.text
    assert not Subscription.objects.exists()


# --- Asking ----------------------------------------------------------------------


def test_requesting_sends_the_request_and_shows_it_waiting(client, starter, outsider):
    client.force_login(outsider)
    response = client.post(ask_url(starter), {"reason": "We build apps"}, follow=True)
    assert "An administrator will approve or reject it" in " ".join(messages_of(response))
    asked = AccessRequest.objects.get()
    assert (asked.user, asked.product, asked.reason) == (outsider, starter, "We build apps")
    assert "Waiting" in response.text
    assert reverse("portal:withdraw_access_request", args=[asked.pk]) in response.text
    assert ask_url(starter) not in response.text


def test_request_access_answers_post_only(client, starter, outsider):
    client.force_login(outsider)
    assert client.get(ask_url(starter)).status_code == 405


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_a_missing_or_long_reason_is_refused_next_to_the_field(client, starter, outsider, reason):
    client.force_login(outsider)
    response = client.post(ask_url(starter), {"reason": reason})
    assert response.status_code == 400
    assert "invalid-feedback" in response.text
    assert "Starter Ledger" not in response.text
    assert not AccessRequest.objects.exists()


def test_a_second_request_is_refused_with_a_clear_message(client, waiting, starter, outsider):
    client.force_login(outsider)
    response = client.post(ask_url(starter), {"reason": "Again"})
    assert response.status_code == 400
    assert "your request is waiting for an administrator" in response.text
    assert AccessRequest.objects.count() == 1


@pytest.mark.parametrize("who", ["anonymous", "blocked_user", "pending_user"])
def test_people_not_signed_in_are_sent_to_sign_in(client, starter, sign_in_as, who):
    sign_in_as(who)
    response = client.post(ask_url(starter), {"reason": "Please"})
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)
    assert not AccessRequest.objects.exists()


@pytest.mark.parametrize("who", ["member", "administrator"])
def test_people_who_see_it_are_sent_to_it(client, starter, sign_in_as, who):
    sign_in_as(who)
    response = client.post(ask_url(starter), {"reason": "Please"}, follow=True)
    assert response.redirect_chain[-1][0] == url(starter)
    assert "You can already see this product." in messages_of(response)
    assert not AccessRequest.objects.exists()


def test_support_staff_ask_like_any_developer(client, starter, support_staff):
    # Support staff have no console rights: in the portal they are developers.
    client.force_login(support_staff)
    response = client.get(url(starter))
    assert "Starter Ledger" not in response.text
    client.post(ask_url(starter), {"reason": "For a customer"})
    assert AccessRequest.objects.get().user == support_staff


@pytest.mark.parametrize("who", ["outsider", "support_staff"])
def test_products_not_listed_take_no_requests(client, hidden, make_product, sign_in_as, who):
    draft = make_product("Draft", listed=True, state=Product.State.NOT_PUBLISHED)
    sign_in_as(who)
    for product in (hidden, draft):
        assert client.post(ask_url(product), {"reason": "x"}).status_code == 404
    assert client.post(reverse("portal:request_access", args=["nope"])).status_code == 404
    assert not AccessRequest.objects.exists()


def test_previewing_administrators_see_the_listed_page_but_can_not_ask(
    client, starter, administrator, developers
):
    from portal import preview

    client.force_login(administrator)
    session = client.session
    session[preview.SESSION_KEY] = {"kind": "group", "key": developers.name}
    session.save()
    response = client.get(url(starter))
    assert response.status_code == 200
    assert "read-only preview" in response.text
    assert ask_url(starter) not in response.text
    assert "Starter Ledger" not in response.text
    assert "Listed —" in client.get(reverse("portal:products")).text
    client.post(ask_url(starter), {"reason": "x"})
    assert not AccessRequest.objects.exists()


# --- The profile and withdrawing ---------------------------------------------------


def test_profile_shows_requests_for_access_and_their_states(
    client, waiting, starter, make_product, administrator, outsider
):
    other = make_product("Other", listed=True, groups=[])
    refused = services.request_access(user=outsider, product=other, reason="Hi")
    services.reject_access_request(request=refused, decided_by=administrator, reason="Not <yet>")
    client.force_login(outsider)
    body = client.get(reverse("portal:profile")).text
    assert "Requests for access to products" in body
    assert ">Waiting</span>" in body and ">Rejected</span>" in body
    assert "Reason: Not &lt;yet&gt;" in body
    assert reverse("portal:withdraw_access_request", args=[waiting.pk]) in body
    assert reverse("portal:withdraw_access_request", args=[refused.pk]) not in body


def test_withdrawing_from_the_profile(client, waiting, outsider):
    client.force_login(outsider)
    withdraw = reverse("portal:withdraw_access_request", args=[waiting.pk])
    assert client.get(withdraw).status_code == 405
    response = client.post(withdraw, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:profile")
    assert "Withdrew your request for access to Starter." in messages_of(response)
    waiting.refresh_from_db()
    assert waiting.state == AccessRequest.State.WITHDRAWN
    again = client.post(withdraw, follow=True)
    assert "This request was already withdrawn." in messages_of(again)


def test_withdrawing_from_the_product_page_goes_back_there(client, waiting, starter, outsider):
    client.force_login(outsider)
    withdraw = reverse("portal:withdraw_access_request", args=[waiting.pk])
    response = client.post(withdraw, {"back": "product"}, follow=True)
    assert response.redirect_chain[-1][0] == url(starter)
    assert ask_url(starter) in response.text


@pytest.mark.parametrize("who", ["member", "developer", "support_staff", "administrator"])
def test_someone_elses_request_can_not_be_withdrawn(client, waiting, sign_in_as, who):
    sign_in_as(who)
    withdraw = reverse("portal:withdraw_access_request", args=[waiting.pk])
    assert client.post(withdraw).status_code == 404
    waiting.refresh_from_db()
    assert waiting.is_waiting


def test_guests_withdrawing_are_sent_to_sign_in(client, waiting):
    response = client.post(reverse("portal:withdraw_access_request", args=[waiting.pk]))
    assert response["Location"].startswith(SIGN_IN)


def test_after_approval_the_developer_sees_the_whole_product(
    client, waiting, starter, outsider, administrator, partners
):
    services.approve_access_request(request=waiting, decided_by=administrator, group=partners)
    client.force_login(outsider)
    response = client.get(url(starter))
    assert "Starter Ledger" in response.text
    assert ask_url(starter) not in response.text
    assert ">Approved</span>" in client.get(reverse("portal:profile")).text


# --- The console's Settings ---------------------------------------------------------


def test_settings_list_a_product(client, administrator, hidden):
    from tests.conftest import hidden_version

    client.force_login(administrator)
    page = client.get(reverse("products:update", args=[hidden.name]))
    assert "Listed in the catalogue" in page.text
    data = {
        "version": hidden_version(page),
        "display_name": hidden.display_name,
        "description": hidden.description,
        "terms": "",
        "subscription_required": "on",
        "listed": "on",
    }
    response = client.post(reverse("products:update", args=[hidden.name]), data)
    assert response.status_code == 302
    hidden.refresh_from_db()
    assert hidden.listed
