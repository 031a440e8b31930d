"""The 404 page: a guest is told that signing in may show more, with a Sign in link back to
the address, in the same words for a hidden product as for a missing one."""

from __future__ import annotations

from urllib.parse import quote

from django.urls import reverse

SIGN_IN_HINT = b"signing in may show more"


def product_url(name):
    return reverse("portal:product", kwargs={"name": name})


def test_a_guest_opening_a_hidden_product_is_offered_sign_in(client, make_product):
    make_product("Partner Deals")
    url = product_url("partner-deals")
    response = client.get(url)
    assert response.status_code == 404
    assert SIGN_IN_HINT in response.content
    sign_in = f'href="{reverse("portal:login")}?next={quote(url)}"'
    assert sign_in.encode() in response.content


def test_hidden_and_missing_products_answer_a_guest_alike(client, make_product):
    make_product("Partner Deals")
    hidden = client.get(product_url("partner-deals"))
    missing = client.get(product_url("no-such-deals"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content.replace(b"partner-deals", b"NAME") == missing.content.replace(
        b"no-such-deals", b"NAME"
    )


def test_a_signed_in_developer_gets_todays_404(client, make_product, outsider):
    make_product("Partner Deals")
    client.force_login(outsider)
    response = client.get(product_url("partner-deals"))
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert SIGN_IN_HINT not in response.content
    assert reverse("portal:login").encode() + b"?next=" not in response.content
