"""subscriptions.views.gateway: GET /gateway/check, the key check an API gateway calls
before each request."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal import services as portal_services
from portal.models import User
from subscriptions import services as subscription_services
from subscriptions.models import Subscription

URL = "/gateway/check"


@pytest.fixture
def gateway():
    """A client with no session or cookies that enforces CSRF, like a gateway's subrequest."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def other_product(make_product):
    """Ledger, which the member sees too."""
    return make_product("Ledger")


def check(client, key=None, product=None, *, query=None):
    headers = {}
    if key is not None:
        headers["Ocp-Apim-Subscription-Key"] = key
    if product is not None:
        headers["X-Product"] = product
    return client.get(URL, query or {}, headers=headers)


def test_gateway_url_is_named():
    assert reverse("gateway_check") == URL


@pytest.mark.parametrize("field", ["primary_secret", "secondary_secret"])
def test_gateway_lets_an_active_key_through_with_the_header(gateway, subscription, field):
    response = check(gateway, getattr(subscription, field), "payments")
    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.parametrize("field", ["primary_secret", "secondary_secret"])
def test_gateway_reads_the_product_from_the_query(gateway, subscription, field):
    response = check(gateway, getattr(subscription, field), query={"product": "payments"})
    assert response.status_code == 204


@pytest.mark.parametrize("field", ["primary_secret", "secondary_secret"])
def test_gateway_reads_the_key_from_the_query_without_the_header(gateway, subscription, field):
    response = gateway.get(
        URL, {"subscription-key": getattr(subscription, field), "product": "payments"}
    )
    assert response.status_code == 204


def test_gateway_prefers_the_header_to_the_query(gateway, subscription):
    response = check(
        gateway,
        "not-a-key",
        "payments",
        query={"subscription-key": subscription.primary_secret},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (None, "missing or malformed key"),
        ("", "missing or malformed key"),
        ("0" * 48, "unknown key"),
        ("k" * 257, "missing or malformed key"),
    ],
    ids=["no-key", "empty-key", "unknown-key", "over-long-key"],
)
def test_gateway_refuses_a_missing_or_unknown_key_with_401(gateway, subscription, key, reason):
    response = check(gateway, key, "payments")
    assert response.status_code == 401
    assert response["X-Portico-Reason"] == reason
    assert "Ocp-Apim-Subscription-Key" in response["WWW-Authenticate"]


def test_gateway_refuses_a_key_that_extends_a_real_one(gateway, subscription):
    assert check(gateway, subscription.primary_secret + "0", "payments").status_code == 401
    assert check(gateway, subscription.primary_secret[:-1], "payments").status_code == 401
    assert check(gateway, subscription.primary_secret.upper(), "payments").status_code == 401


def test_gateway_refuses_a_key_of_another_product_with_403(gateway, subscription, other_product):
    response = check(gateway, subscription.primary_secret, "ledger")
    assert response.status_code == 403
    assert response["X-Portico-Reason"] == "key is for another product"


def test_gateway_refuses_a_key_without_a_product_with_403(gateway, subscription):
    response = check(gateway, subscription.primary_secret)
    assert response.status_code == 403
    assert response["X-Portico-Reason"] == "missing product"


@pytest.mark.parametrize("state", ["submitted", "suspended", "cancelled", "rejected", "expired"])
def test_gateway_refuses_a_subscription_that_is_not_active_with_403(gateway, subscription, state):
    Subscription.objects.filter(pk=subscription.pk).update(state=state)
    for key in (subscription.primary_secret, subscription.secondary_secret):
        response = check(gateway, key, "payments")
        assert response.status_code == 403
        assert response["X-Portico-Reason"] == f"subscription {state}"


@pytest.mark.parametrize("action", ["suspend", "cancel"])
def test_gateway_follows_state_changes(gateway, subscription, action):
    assert check(gateway, subscription.primary_secret, "payments").status_code == 204
    subscription_services.change_state(subscription=subscription, action=action)
    assert check(gateway, subscription.primary_secret, "payments").status_code == 403


@pytest.mark.parametrize("state", [User.State.BLOCKED, User.State.PENDING])
def test_gateway_refuses_a_key_whose_owner_cannot_sign_in(gateway, subscription, member, state):
    # Straight to the row, so only the owner check can refuse (the access rule
    # would also suspend the subscription).
    User.objects.filter(pk=member.pk).update(state=state)
    response = check(gateway, subscription.primary_secret, "payments")
    assert response.status_code == 403
    assert response["X-Portico-Reason"] == "developer account not active"


def test_gateway_refuses_a_blocked_owner_blocked_through_the_console(
    gateway, subscription, member, administrator
):
    portal_services.block_user(user=member, actor=administrator)
    assert check(gateway, subscription.primary_secret, "payments").status_code == 403


@pytest.mark.parametrize(
    ("which", "field", "other"),
    [
        ("primary", "primary_secret", "secondary_secret"),
        ("secondary", "secondary_secret", "primary_secret"),
    ],
)
def test_gateway_refuses_the_old_key_after_regenerating(gateway, subscription, which, field, other):
    old = getattr(subscription, field)
    subscription_services.regenerate_key(subscription=subscription, which=which)
    stored = Subscription.objects.get(pk=subscription.pk)
    assert check(gateway, old, "payments").status_code == 401
    assert check(gateway, getattr(stored, field), "payments").status_code == 204
    assert check(gateway, getattr(stored, other), "payments").status_code == 204


def test_gateway_needs_no_session_and_sets_no_cookie(gateway, subscription):
    response = check(gateway, subscription.primary_secret, "payments")
    assert response.status_code == 204
    assert not response.cookies
    assert "Location" not in response


def test_gateway_answer_never_contains_the_key(gateway, subscription, other_product):
    for product in ("payments", "ledger", ""):
        response = check(gateway, subscription.primary_secret, product)
        text = str(response.headers) + response.content.decode()
        assert subscription.primary_secret not in text


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_gateway_allows_only_get(client, subscription, method):
    response = getattr(client, method)(
        URL,
        headers={"Ocp-Apim-Subscription-Key": subscription.primary_secret, "X-Product": "payments"},
    )
    assert response.status_code == 405


def test_gateway_post_without_csrf_token_is_405(gateway, subscription):
    response = gateway.post(
        URL,
        headers={"Ocp-Apim-Subscription-Key": subscription.primary_secret, "X-Product": "payments"},
    )
    assert response.status_code == 405


# The shared secret a gateway adds (PORTICO_GATEWAY_SECRET)


@pytest.mark.parametrize(
    "sent", [None, "", "wrong", "s3cret-but-longer", "S3CRET-GATEWAY-VALUE"], ids=repr
)
def test_with_a_gateway_secret_a_request_without_it_is_refused(
    gateway, subscription, settings, sent
):
    settings.PORTICO_GATEWAY_SECRET = "s3cret-gateway-value"
    headers = {
        "Ocp-Apim-Subscription-Key": subscription.primary_secret,
        "X-Product": subscription.product.name,
    }
    if sent is not None:
        headers["X-Portico-Gateway-Secret"] = sent
    response = gateway.get(URL, headers=headers)
    # The same answer for a valid key and an unknown one: no oracle without the secret.
    assert response.status_code == 403
    assert response["X-Portico-Reason"] == "missing or wrong gateway secret"
    unknown = gateway.get(URL, headers={**headers, "Ocp-Apim-Subscription-Key": "0" * 48})
    assert (unknown.status_code, unknown["X-Portico-Reason"]) == (403, response["X-Portico-Reason"])


def test_with_a_gateway_secret_the_check_answers_those_who_send_it(gateway, subscription, settings):
    settings.PORTICO_GATEWAY_SECRET = "s3cret-gateway-value"
    headers = {
        "Ocp-Apim-Subscription-Key": subscription.primary_secret,
        "X-Product": subscription.product.name,
        "X-Portico-Gateway-Secret": "s3cret-gateway-value",
    }
    assert gateway.get(URL, headers=headers).status_code == 204
    unknown = gateway.get(URL, headers={**headers, "Ocp-Apim-Subscription-Key": "0" * 48})
    assert unknown.status_code == 401


# The check's own listener (PORTICO_LISTENER=gateway, portal/gateway_urls.py)


@pytest.fixture
def gateway_listener(settings):
    settings.ROOT_URLCONF = "portal.gateway_urls"
    settings.MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]


def test_the_gateway_listener_answers_the_check(gateway, gateway_listener, subscription):
    response = check(gateway, subscription.primary_secret, subscription.product.name)
    assert response.status_code == 204
    assert check(gateway, "0" * 48, subscription.product.name).status_code == 401
    assert gateway.get("/health/").status_code == 200


@pytest.mark.parametrize("path", ["/", "/signin/", "/console/", "/admin/", "/products/"])
def test_the_gateway_listener_serves_nothing_else(gateway, gateway_listener, db, path):
    response = gateway.get(path)
    assert response.status_code == 404
    assert b"serves only /gateway/check" in response.content
