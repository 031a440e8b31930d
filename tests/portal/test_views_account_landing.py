"""Where a password sign-in lands: administrators in the console, developers in the portal,
and an explicit, same-site ``next`` before either."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import TEST_PASSWORD


def sign_in(client, email, next_path=None):
    url = reverse("portal:login")
    if next_path is not None:
        url += f"?next={next_path}"
    return client.post(url, {"username": email, "password": TEST_PASSWORD})


def test_an_administrator_lands_in_the_console(client, administrator):
    response = sign_in(client, administrator.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")


def test_a_developer_lands_in_the_portal(client, developer):
    response = sign_in(client, developer.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:landing")


def test_an_explicit_next_wins_for_an_administrator(client, administrator):
    response = sign_in(client, administrator.email, next_path="/products/")
    assert response["Location"] == "/products/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/"])
def test_an_unsafe_next_falls_back_to_the_console(client, administrator, target):
    response = sign_in(client, administrator.email, next_path=target)
    assert response["Location"] == reverse("console:home")
