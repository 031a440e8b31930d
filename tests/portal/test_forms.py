"""portal.forms.SignInForm: signing in by email, and why an account can't."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from portal import services
from portal.models import User
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


# Why a pending account can't sign in: who it waits for.


def signed_up(make_user, **fields):
    return make_user(email="new@example.com", state=User.State.PENDING, signed_up=True, **fields)


@pytest.mark.django_db
def test_an_unconfirmed_sign_up_is_told_to_follow_the_emailed_link(client, make_user):
    person = signed_up(make_user)
    services.update_signup_settings(expected_version=None, enabled=True)
    body = sign_in(client, person.email).content.decode()
    assert "confirmed your email address yet" in body
    assert "sign up again with the same address" in body
    assert "administrator" not in body
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_unconfirmed_sign_up_is_not_told_to_sign_up_again_when_sign_up_is_closed(
    client, make_user
):
    person = signed_up(make_user)
    services.update_signup_settings(expected_version=None, enabled=False)
    body = sign_in(client, person.email).content.decode()
    assert "Follow the link we emailed you." in body
    assert "sign up again" not in body


@pytest.mark.django_db
def test_a_confirmed_sign_up_is_told_it_waits_for_approval(client, make_user):
    person = signed_up(make_user, email_confirmed_at=timezone.now())
    body = sign_in(client, person.email).content.decode()
    assert "An administrator hasn&#x27;t approved your account yet" in body
    assert "You&#x27;ll get an email when they do." in body
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_account_an_administrator_made_pending_keeps_asking_the_administrators(
    client, pending_user
):
    body = sign_in(client, pending_user.email).content.decode()
    assert "Ask the portal&#x27;s administrators to activate it." in body
    assert "emailed" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("confirmed", [False, True])
def test_a_sign_ups_state_is_not_revealed_without_the_password(client, make_user, confirmed):
    person = signed_up(make_user, email_confirmed_at=timezone.now() if confirmed else None)
    body = sign_in(client, person.email, "wrong password").content.decode()
    assert "don&#x27;t match an account" in body
    assert "emailed you" not in body
    assert "approved" not in body


@pytest.mark.django_db
def test_signing_up_marks_the_account_as_a_sign_up(client):
    services.update_signup_settings(expected_version=None, enabled=True)
    services.sign_up(
        email="new@example.com", first_name="New", last_name="Person", password=TEST_PASSWORD
    )
    assert User.objects.get(email="new@example.com").signed_up
    assert not services.create_user(
        email="made@example.com", first_name="M", last_name="P", password=None
    ).signed_up
