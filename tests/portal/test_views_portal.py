"""The developer portal's shell: the landing page, signing in and out, the health check,
and the pages open to everyone."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from products.models import Product
from tests.conftest import shown_products


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["portal:landing", "portal:products", "portal:login", "portal:health"]
)
def test_public_pages_open_to_guests(client, name):
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.django_db
def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


# The landing page


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", ["first-for-guests", "second-for-guests"]),
        ("developer", ["developers-1", "developers-2", "developers-3"]),
    ],
)
def test_landing_shows_at_most_three_visible_products(
    client, make_product, guests, developers, partners, who, expected, sign_in_as
):
    # Hidden products sort first, so a leak would take a place on the page.
    make_product("A Hidden Draft", groups=[guests, developers], state=Product.State.NOT_PUBLISHED)
    make_product("A Hidden Partner Deal", groups=[partners])
    make_product("A Hidden Internal Tool", groups=[])
    make_product("First for Guests", groups=[guests])
    make_product("Second for Guests", groups=[guests])
    for i in range(1, 6):
        make_product(f"Developers {i}", groups=[developers], description=f"No. {i}")
    sign_in_as(who)

    response = client.get(reverse("portal:landing"))

    assert shown_products(response) == expected
    assert "Hidden" not in response.content.decode()


def test_landing_without_visible_products(client, make_product, developers):
    make_product("Payments", groups=[developers])

    response = client.get(reverse("portal:landing"))

    assert shown_products(response) == []
    assert "Products for you" not in response.content.decode()


# Signing in and out


@pytest.mark.django_db
def test_sign_in_page_uses_an_email_field(client):
    body = client.get(reverse("portal:login")).content.decode()
    assert 'type="email"' in body
    assert re.search(r'<label\s+for="id_username"', body)


@pytest.mark.django_db
def test_sign_out_needs_post_and_ends_the_session(client, developer):
    client.force_login(developer)
    assert client.get(reverse("portal:logout")).status_code == 405
    response = client.post(reverse("portal:logout"))
    assert response.status_code == 200
    assert "You have signed out" in response.content.decode()
    assert client.get(reverse("portal:profile")).status_code == 302
