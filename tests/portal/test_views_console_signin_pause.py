"""The console's page of a person whose sign-in is paused, and Lift the pause."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import time_format

from tests.conftest import TEST_PASSWORD, messages_of, signs_in

ATTACKER = "203.0.113.66"


@pytest.fixture
def bob(make_user):
    """An account whose email has capitals, as it was typed when it was made."""
    return make_user(email="Bob@example.com", first_name="Bob", last_name="Builder")


def fail_to_sign_in(email: str, times: int, address: str = ATTACKER) -> None:
    client = Client()
    for n in range(times):
        client.post(
            reverse("portal:login"),
            {"username": email, "password": f"wrong-{n}"},
            REMOTE_ADDR=address,
        )


def attempts() -> list[tuple[str, str, int]]:
    from axes.models import AccessAttempt

    return sorted(
        AccessAttempt.objects.values_list("username", "ip_address", "failures_since_start")
    )


def test_user_detail_shows_a_paused_sign_in(client, administrator, bob, settings):
    fail_to_sign_in("bob@example.com", settings.AXES_FAILURE_LIMIT)
    client.force_login(administrator)
    response = client.get(reverse("console:user_detail", args=[bob.pk]))
    page = response.content.decode()
    pause = timedelta(minutes=settings.PORTICO_SIGNIN_PAUSE_MINUTES)
    ends = {time_format(timezone.now() + pause - timedelta(minutes=m), "H:i") for m in (0, 1)}
    limit = settings.AXES_FAILURE_LIMIT
    assert any(
        f"Sign-in is paused after {limit} failed attempts, until {end} UTC" in page for end in ends
    ), page
    assert reverse("console:user_lift_signin_pause", args=[bob.pk]) in page
    assert "Lift the pause" in page


def test_user_detail_of_someone_not_paused_offers_no_lift(client, administrator, bob, settings):
    fail_to_sign_in("bob@example.com", settings.AXES_FAILURE_LIMIT - 1)
    client.force_login(administrator)
    page = client.get(reverse("console:user_detail", args=[bob.pk])).content.decode()
    assert "Sign-in is paused" not in page
    assert "Lift the pause" not in page


@pytest.mark.parametrize("address", [ATTACKER, "127.0.0.1"], ids=["elsewhere", "their-address"])
def test_lifting_the_pause_lets_the_person_sign_in_at_once(
    client, administrator, bob, settings, address
):
    fail_to_sign_in("bob@example.com", settings.AXES_FAILURE_LIMIT, address)
    assert not signs_in("Bob@example.com", TEST_PASSWORD)
    client.force_login(administrator)
    response = client.post(reverse("console:user_lift_signin_pause", args=[bob.pk]), follow=True)
    assert response.redirect_chain == [(reverse("console:user_detail", args=[bob.pk]), 302)]
    assert "Lifted the sign-in pause: Bob@example.com can sign in now." in messages_of(response)
    assert "Sign-in is paused" not in response.content.decode()
    assert signs_in("Bob@example.com", TEST_PASSWORD)


@pytest.mark.parametrize(
    "failures",
    [
        pytest.param("none", id="no-failures"),
        pytest.param("one", id="one-failure"),
        pytest.param("one short of the limit", id="one-short-of-the-limit"),
    ],
)
def test_lifting_when_nothing_is_paused_says_so_and_changes_nothing(
    client, administrator, bob, settings, failures
):
    count = {"none": 0, "one": 1, "one short of the limit": settings.AXES_FAILURE_LIMIT - 1}
    fail_to_sign_in("bob@example.com", count[failures])
    before = attempts()
    client.force_login(administrator)
    response = client.post(reverse("console:user_lift_signin_pause", args=[bob.pk]), follow=True)
    assert messages_of(response) == ["Sign-in for Bob@example.com wasn't paused; nothing changed."]
    assert attempts() == before


def test_lifting_the_pause_needs_an_administrator(client, developer, bob, settings):
    fail_to_sign_in("bob@example.com", settings.AXES_FAILURE_LIMIT)
    before = attempts()
    client.force_login(developer)
    response = client.post(reverse("console:user_lift_signin_pause", args=[bob.pk]))
    assert response.status_code == 403
    assert attempts() == before
    assert not signs_in("Bob@example.com", TEST_PASSWORD)
