"""subscriptions.views.portal for one API: /apis/<id>/subscribe/, the include that
offers it, and API subscriptions on the profile."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse

from groups import services as group_services
from portal import preview
from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from tests.conftest import fresh

SIGN_IN = "/signin/"


@pytest.fixture
def shipments(make_api, product):
    """Shipments, inside Payments (which Partners see)."""
    return make_api("Shipments", products=[product])


def url(api, name=None):
    return reverse("portal:subscribe_api", args=[name or api.name])


def post(client, api, **data):
    return client.post(url(api), {"display_name": "Tracker"} | data)


def test_the_page_offers_the_form_and_names_the_products(client, member, shipments):
    client.force_login(member)
    response = client.get(url(shipments))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Subscribe to the Shipments API" in page
    assert 'name="submission"' in page
    assert "You see this API through" in page and ">Payments</a>" in page
    assert "None of them needs approval." in page


def test_subscribing_gives_an_active_subscription_to_the_api(client, member, shipments):
    client.force_login(member)
    response = post(client, shipments)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:profile")
    subscription = Subscription.objects.get()
    assert (subscription.owner, subscription.api, subscription.product) == (member, shipments, None)
    assert subscription.is_active
    profile = client.get(reverse("portal:profile")).content.decode()
    assert "Subscribed to the Shipments API." in profile
    assert "API: Shipments" in profile


def test_the_same_form_sent_twice_is_one_subscription(client, member, shipments):
    client.force_login(member)
    post(client, shipments, submission="once")
    again = post(client, shipments, submission="once")
    assert again.status_code == 302
    assert Subscription.objects.count() == 1


def test_approval_and_terms_come_from_the_products(client, member, make_api, make_product):
    strict = make_product("Strict", approval_required=True, terms="Be **kind**.")
    api = make_api("Shipments", products=[strict])
    client.force_login(member)
    page = client.get(url(api)).content.decode()
    assert "needs an administrator's approval, so this subscription does too" in page
    assert ">Request subscription</button>" in page and ">Subscribe</button>" not in page
    assert "Terms of use of Strict" in page and "<strong>kind</strong>" in page
    refused = post(client, api)
    assert refused.status_code == 400
    assert "Accept the terms of use to subscribe." in refused.content.decode()
    assert 'value="Tracker"' in refused.content.decode()
    assert not Subscription.objects.exists()
    assert post(client, api, accept_terms="on").status_code == 302
    assert Subscription.objects.get().state == Subscription.State.SUBMITTED


def test_a_waiting_request_switches_the_form_off(client, member, make_api, approval_product):
    api = make_api("Shipments", products=[approval_product])
    client.force_login(member)
    post(client, api)
    page = client.get(url(api)).content.decode()
    assert "is still waiting for approval" in page
    assert "disabled" in page
    assert post(client, api, display_name="Again").status_code == 400
    assert Subscription.objects.count() == 1


@pytest.mark.parametrize("too_long", [101, 1000])
def test_a_name_over_100_characters_is_refused_next_to_the_field(
    client, member, shipments, too_long
):
    client.force_login(member)
    response = post(client, shipments, display_name="x" * too_long)
    assert response.status_code == 400
    assert "at most 100 characters" in response.content.decode()
    assert not Subscription.objects.exists()


def test_html_in_the_name_is_kept_as_text(client, member, shipments):
    client.force_login(member)
    post(client, shipments, display_name="<b>Tracker</b> ü")
    assert Subscription.objects.get().display_name == "<b>Tracker</b> ü"
    page = client.get(reverse("portal:profile")).content.decode()
    assert "&lt;b&gt;Tracker&lt;/b&gt; ü" in page


def test_an_open_api_says_so_and_takes_no_subscription(client, member, make_api, product):
    api = make_api("Weather", products=[product], subscription_required=False)
    client.force_login(member)
    assert "This API is <strong>open</strong>" in client.get(url(api)).content.decode()
    assert post(client, api).status_code == 400
    assert not Subscription.objects.exists()


# Who may not


@pytest.fixture
def member_elsewhere(make_user, others):
    """A developer in another custom group than Partners."""
    person = make_user(email="elsewhere@example.com")
    group_services.add_members(group=others, users=[person], added_by=None)
    return person


@pytest.mark.parametrize("who", ["outsider", "support_staff", "member_elsewhere"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_api_the_developer_cannot_see_is_404(client, request, shipments, who, method):
    client.force_login(request.getfixturevalue(who))
    response = getattr(client, method)(url(shipments), {"display_name": "x"})
    assert response.status_code == 404
    assert "Shipments" not in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_missing_api_is_the_same_404(client, member, shipments):
    client.force_login(member)
    missing = client.get(url(shipments, "no-such-api"))
    assert missing.status_code == 404


def test_an_api_in_an_unpublished_product_is_404(client, member, make_api, make_product):
    api = make_api("Draft API", products=[make_product("Draft", state="notPublished")])
    client.force_login(member)
    assert client.get(url(api)).status_code == 404
    assert post(client, api).status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_guest_is_sent_to_sign_in(client, shipments, method):
    response = getattr(client, method)(url(shipments), {"display_name": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)
    assert not Subscription.objects.exists()


def test_a_blocked_developer_is_signed_out(client, member, shipments):
    member.state = "blocked"
    member.save()
    client.force_login(member)
    response = post(client, shipments)
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)
    assert not Subscription.objects.exists()


def test_subscribing_is_off_in_a_view_as_preview(client, administrator, member, shipments):
    client.force_login(administrator)
    client.post(reverse("console:view_as"), {"kind": "user", "key": str(member.pk)})
    assert preview.SESSION_KEY in client.session
    page = client.get(url(shipments)).content.decode()
    assert "Subscribing is switched off in a preview." in page
    response = post(client, shipments)
    assert response.status_code == 302
    assert not Subscription.objects.exists()


# The include for the API's reference page


def render_include(user, api, session=None):
    request = RequestFactory().get("/")
    request.user = user
    request.session = session or {}
    template = engines["django"].from_string(
        '{% include "subscriptions/_subscribe_api.html" with api=api %}'
    )
    return template.render({"api": api}, request)


def test_the_include_offers_subscribing_to_a_developer_who_sees_the_api(member, shipments):
    html = render_include(member, shipments)
    assert url(shipments) in html
    assert "Subscribe to this API" in html


def test_the_include_shows_nothing_to_guests_or_those_who_cannot_see_the_api(
    outsider, shipments, make_api, product
):
    assert "Subscribe" not in render_include(AnonymousUser(), shipments)
    assert "Subscribe" not in render_include(outsider, shipments)
    open_api = make_api("Weather", products=[product], subscription_required=False)
    assert "Subscribe" not in render_include(outsider, open_api)


def test_the_include_says_why_subscribing_is_off(member, make_api, approval_product):
    api = make_api("Shipments", products=[approval_product])
    subscription_services.subscribe(developer=member, api=api, display_name="First")
    html = render_include(member, api)
    assert "still waiting for approval" in html
    assert "disabled" in html


# The profile


@pytest.fixture
def api_subscription(member, shipments):
    return fresh(subscription_services.subscribe(developer=member, api=shipments, display_name="T"))


def test_the_profile_shows_keys_rename_and_cancel_for_an_api_subscription(
    client, member, api_subscription
):
    client.force_login(member)
    page = client.get(reverse("portal:profile"), {"show": api_subscription.sid}).content.decode()
    assert "API: Shipments" in page
    assert api_subscription.primary_secret in page
    assert reverse("portal:rename_subscription", args=[api_subscription.sid]) in page
    assert reverse("portal:cancel_subscription", args=[api_subscription.sid]) in page
    client.post(reverse("portal:cancel_subscription", args=[api_subscription.sid]))
    assert fresh(api_subscription).state == Subscription.State.CANCELLED


def test_the_profile_keeps_its_query_count_with_api_subscriptions(
    client, member, make_api, product, django_assert_max_num_queries
):
    client.force_login(member)
    for number in range(3):
        api = make_api(f"Api {number}", products=[product])
        subscription_services.subscribe(developer=member, api=api, display_name=f"S{number}")
    # Warm: the menus' pages are read once, then from the shared cache (a
    # query with the database cache, within the bound; none with Redis).
    client.get(reverse("portal:profile"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("portal:profile"))
    for number in range(3, 12):
        api = make_api(f"Api {number}", products=[product])
        subscription_services.subscribe(developer=member, api=api, display_name=f"S{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("portal:profile"))


def test_reloading_the_address_after_subscribing_shows_the_form_not_a_405(
    client, member, shipments
):
    """The walkthrough's blank 405 came from a product's subscribe address, which only
    took POST; an API's subscribe address is its form's own page, so a reload (or
    the reference page's link) lands on the form."""
    client.force_login(member)
    assert post(client, shipments, display_name="x" * 101).status_code == 400
    again = client.get(url(shipments))
    assert again.status_code == 200
    assert 'name="submission"' in again.content.decode()
