"""portal.forms.SignInForm: signing in by email, and why an account can't."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import TEST_PASSWORD


def sign_in(client, email, password=TEST_PASSWORD):
    return client.post(reverse("portal:login"), {"username": email, "password": password})


@pytest.mark.django_db
def test_active_user_signs_in_with_any_case_of_email(client, developer):
    response = sign_in(client, "DEV@example.com")
    assert response.status_code == 302
    assert client.get(reverse("portal:profile")).status_code == 200


@pytest.mark.django_db
def test_blocked_user_cannot_sign_in_and_is_told_so(client, blocked_user):
    response = sign_in(client, blocked_user.email)
    assert response.status_code == 200
    assert "This account is blocked" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_pending_user_is_told_to_confirm(client, pending_user):
    response = sign_in(client, pending_user.email)
    assert "waiting for confirmation" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_blocked_state_is_not_revealed_without_the_password(client, blocked_user):
    response = sign_in(client, blocked_user.email, "wrong password")
    body = response.content.decode()
    assert "This account is blocked" not in body
    assert "don&#x27;t match an account" in body


@pytest.mark.django_db
def test_wrong_password_keeps_the_email_typed(client, developer):
    response = sign_in(client, "dev@example.com", "nope")
    assert 'value="dev@example.com"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("nobody@example.com", "whatever"),
        ("dev@example.com", "wrong password"),
        ("blocked@example.com", TEST_PASSWORD),
        ("blocked@example.com", "wrong password"),
        ("pending@example.com", TEST_PASSWORD),
    ],
)
def test_every_refused_sign_in_hashes_the_same_number_of_times(
    client, developer, blocked_user, pending_user, email, password, monkeypatch
):
    """A refusal's timing must not tell blocked or pending accounts from others.

    And each attempt hashes once: a second hash (the form checking the
    state after the backend) doubled what a flood of wrong passwords cost.
    """
    from django.contrib.auth import base_user

    calls = []
    real_check, real_make = base_user.check_password, base_user.make_password

    def counting_check(*args, **kwargs):
        calls.append("check")
        return real_check(*args, **kwargs)

    def counting_make(*args, **kwargs):
        calls.append("make")
        return real_make(*args, **kwargs)

    monkeypatch.setattr(base_user, "check_password", counting_check)
    monkeypatch.setattr(base_user, "make_password", counting_make)
    response = sign_in(client, email, password)
    assert response.status_code == 200
    assert len(calls) == 1
