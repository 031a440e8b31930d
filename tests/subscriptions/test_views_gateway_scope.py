"""subscriptions.views.gateway with APIs named (X-Api or the api parameter): which
subscriptions' keys pass for an API, a product, or both."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apis import services as api_services
from subscriptions import services as subscription_services
from subscriptions.models import Subscription

URL = "/gateway/check"


@pytest.fixture
def gateway():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def shipments(make_api, product):
    """Shipments, inside Payments."""
    return make_api("Shipments", products=[product])


@pytest.fixture
def invoices(make_api, product):
    """Invoices, inside Payments too."""
    return make_api("Invoices", products=[product])


@pytest.fixture
def api_subscription(member, shipments):
    """The member's active subscription to Shipments alone."""
    return subscription_services.subscribe(developer=member, api=shipments, display_name="T")


def check(client, key, *, product=None, api=None, query=None):
    headers = {"Ocp-Apim-Subscription-Key": key}
    if product is not None:
        headers["X-Product"] = product
    if api is not None:
        headers["X-Api"] = api
    return client.get(URL, query or {}, headers=headers)


def answer(response):
    return response.status_code, response.get("X-Portico-Reason", "")


# A key for one API


@pytest.mark.parametrize("field", ["primary_secret", "secondary_secret"])
def test_an_api_key_passes_for_its_api(gateway, api_subscription, field):
    key = getattr(api_subscription, field)
    assert answer(check(gateway, key, api="shipments")) == (204, "")
    assert answer(check(gateway, key, query={"api": "shipments"})) == (204, "")


def test_an_api_key_is_refused_for_another_api_in_the_same_product(
    gateway, api_subscription, invoices
):
    response = check(gateway, api_subscription.primary_secret, api="invoices")
    assert answer(response) == (403, "key is for another API")


def test_an_api_key_is_refused_for_a_product_alone(gateway, api_subscription):
    response = check(gateway, api_subscription.primary_secret, product="payments")
    assert answer(response) == (403, "key is for another product")


def test_an_api_key_passes_with_a_product_that_contains_its_api(
    gateway, api_subscription, make_product
):
    key = api_subscription.primary_secret
    assert answer(check(gateway, key, product="payments", api="shipments")) == (204, "")
    make_product("Ledger")
    assert answer(check(gateway, key, product="ledger", api="shipments")) == (
        403,
        "API is not in this product",
    )


@pytest.mark.parametrize("action", ["suspend", "cancel"])
def test_a_suspended_or_cancelled_api_key_is_refused(gateway, api_subscription, action):
    subscription_services.change_state(subscription=api_subscription, action=action)
    state = Subscription.objects.get(pk=api_subscription.pk).state
    response = check(gateway, api_subscription.primary_secret, api="shipments")
    assert answer(response) == (403, f"subscription {state}")


def test_a_regenerated_api_key_stops_working(gateway, api_subscription):
    old = api_subscription.primary_secret
    subscription_services.regenerate_key(subscription=api_subscription, which="primary")
    assert answer(check(gateway, old, api="shipments")) == (401, "unknown key")


def test_an_api_key_of_a_blocked_developer_is_refused(gateway, api_subscription, member):
    type(member).objects.filter(pk=member.pk).update(state="blocked")
    response = check(gateway, api_subscription.primary_secret, api="shipments")
    assert answer(response) == (403, "developer account not active")


def test_an_api_key_stops_when_its_api_leaves_its_only_product(
    gateway, api_subscription, product, shipments
):
    api_services.remove_api(product=product, api=shipments)
    response = check(gateway, api_subscription.primary_secret, api="shipments")
    assert answer(response) == (403, "subscription suspended")


# A key for a product, asked about an API


def test_a_product_key_passes_for_an_api_in_its_product(gateway, subscription, shipments):
    for which in (subscription.primary_secret, subscription.secondary_secret):
        assert answer(check(gateway, which, api="shipments")) == (204, "")
        assert answer(check(gateway, which, product="payments", api="shipments")) == (204, "")


def test_a_product_key_is_refused_for_an_api_outside_its_product(
    gateway, subscription, make_api, make_product
):
    make_api("Elsewhere", products=[make_product("Ledger")])
    response = check(gateway, subscription.primary_secret, api="elsewhere")
    assert answer(response) == (403, "API is not in the key's product")
    response = check(gateway, subscription.primary_secret, api="no-such-api")
    assert answer(response) == (403, "API is not in the key's product")


def test_with_both_named_a_product_key_needs_its_own_product(
    gateway, subscription, make_api, make_product
):
    make_api("Elsewhere", products=[make_product("Ledger")])
    response = check(gateway, subscription.primary_secret, product="ledger", api="elsewhere")
    assert answer(response) == (403, "key is for another product")


def test_a_product_key_stops_for_an_api_taken_out_of_its_product_mid_life(
    gateway, subscription, product, shipments
):
    assert check(gateway, subscription.primary_secret, api="shipments").status_code == 204
    api_services.remove_api(product=product, api=shipments)
    response = check(gateway, subscription.primary_secret, api="shipments")
    assert answer(response) == (403, "API is not in the key's product")
    # The product itself still answers as before.
    assert check(gateway, subscription.primary_secret, product="payments").status_code == 204


def test_a_suspended_product_key_is_refused_for_its_apis(gateway, subscription, shipments):
    subscription_services.change_state(subscription=subscription, action="suspend")
    response = check(gateway, subscription.primary_secret, api="shipments")
    assert answer(response) == (403, "subscription suspended")


# Malformed requests and the cost of the check


@pytest.mark.parametrize("api", ["ship\x00ments", ""])
def test_a_request_naming_nothing_usable_is_refused(gateway, api_subscription, api):
    response = check(gateway, api_subscription.primary_secret, api=api)
    assert answer(response) == (403, "missing product")


def test_an_unknown_key_naming_an_api_is_401(gateway, api_subscription):
    response = check(gateway, "0" * 48, api="shipments")
    assert answer(response) == (401, "unknown key")
    assert "Ocp-Apim-Subscription-Key" in response["WWW-Authenticate"]


@pytest.mark.parametrize("named", [{"api": "shipments"}, {"product": "payments"}])
def test_the_check_is_one_query(gateway, subscription, api_subscription, named):
    with CaptureQueriesContext(connection) as queries:
        check(gateway, subscription.primary_secret, **named)
        check(gateway, api_subscription.primary_secret, **named)
    assert len(queries) == 2
