"""portal.throttle and portal.backends: sign-in pauses after repeated failures, per account
and per client address, and each attempt runs the password hasher at most once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.utils import timezone
from django.utils.dateformat import time_format

from tests.conftest import TEST_PASSWORD, signs_in

pytestmark = pytest.mark.django_db

SIGN_IN = "/signin/"
ADMIN_SIGN_IN = "/admin/login/"


@pytest.fixture
def limit(settings) -> int:
    """The failed attempts that pause sign-in, as configured."""
    return settings.AXES_FAILURE_LIMIT


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """One entry each time the password hasher runs, to make or to check a hash."""
    runs: list[str] = []
    real_encode = MD5PasswordHasher.encode

    def counting_encode(self, password, salt):
        runs.append(password)
        return real_encode(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting_encode)
    return runs


def attempt(client, email, password, path=SIGN_IN, **extra):
    return client.post(path, {"username": email, "password": password}, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def pause_ends(settings, before, after) -> set[str]:
    """The times a pause starting between `before` and `after` may name, as the page shows them."""
    pause = timedelta(minutes=settings.PORTICO_SIGNIN_PAUSE_MINUTES)
    return {time_format(before + pause, "H:i"), time_format(after + pause, "H:i")}


def assert_paused_page(response, settings, before, after):
    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.PORTICO_SIGNIN_PAUSE_MINUTES * 60
    page = response.content.decode()
    assert "Sign-in paused" in page
    named = {f"until {end} UTC" for end in pause_ends(settings, before, after)}
    assert any(text in page for text in named), page


def test_wrong_passwords_pause_sign_in_and_the_right_one_waits(client, developer, limit, settings):
    statuses = [attempt(client, "dev@example.com", f"wrong-{n}").status_code for n in range(30)]
    assert statuses == [200] * (limit - 1) + [429] * (30 - limit + 1)
    before = timezone.now()
    response = attempt(client, "dev@example.com", TEST_PASSWORD)
    assert_paused_page(response, settings, before, timezone.now())
    assert not signed_in(client)
    assert not signs_in("dev@example.com", TEST_PASSWORD)


def test_admin_sign_in_pauses_an_administrator_the_same_way(client, administrator, limit, settings):
    statuses = [
        attempt(client, "root@example.com", f"wrong-{n}", ADMIN_SIGN_IN).status_code
        for n in range(30)
    ]
    assert statuses == [200] * (limit - 1) + [429] * (30 - limit + 1)
    before = timezone.now()
    response = attempt(client, "root@example.com", TEST_PASSWORD, ADMIN_SIGN_IN)
    assert_paused_page(response, settings, before, timezone.now())
    assert f'href="{ADMIN_SIGN_IN}"' in response.content.decode()
    assert not signed_in(client)
    assert client.get("/admin/").status_code == 302


def test_failures_from_one_address_pause_that_address_and_no_other(client, developer, limit):
    for n in range(limit - 1):
        response = attempt(client, f"nobody-{n}@example.com", "wrong", REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 200
    last = attempt(client, "someone@example.com", "wrong", REMOTE_ADDR="203.0.113.7")
    assert last.status_code == 429
    # The developer's own account has no failures; their address is paused.
    paused = attempt(client, "dev@example.com", TEST_PASSWORD, REMOTE_ADDR="203.0.113.7")
    assert paused.status_code == 429
    assert not signed_in(client)
    elsewhere = Client()
    response = attempt(elsewhere, "dev@example.com", TEST_PASSWORD, REMOTE_ADDR="198.51.100.20")
    assert response.status_code == 302
    assert signed_in(elsewhere)


def test_an_email_in_another_case_is_the_same_account(client, make_user, limit):
    make_user(email="Bob@example.com")
    spellings = ["Bob@example.com", "bob@example.com", "BOB@EXAMPLE.COM", "bob@Example.com"]
    statuses = [
        attempt(
            client, spellings[n % len(spellings)], "wrong", REMOTE_ADDR=f"203.0.113.{n + 1}"
        ).status_code
        for n in range(limit)
    ]
    assert statuses == [200] * (limit - 1) + [429]
    fresh_client = Client()
    response = attempt(fresh_client, "bob@example.com", TEST_PASSWORD, REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 429
    assert not signed_in(fresh_client)


def test_forwarded_for_is_ignored_without_the_tls_proxy(client, developer, limit, settings):
    settings.PORTICO_BEHIND_TLS_PROXY = False
    # A forged X-Forwarded-For doesn't make one address look like many.
    statuses = [
        attempt(
            client,
            f"nobody-{n}@example.com",
            "wrong",
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}",
        ).status_code
        for n in range(limit)
    ]
    assert statuses == [200] * (limit - 1) + [429]
    # Nor does naming a paused address pause someone else.
    other = Client()
    response = attempt(
        other,
        "dev@example.com",
        TEST_PASSWORD,
        REMOTE_ADDR="198.51.100.20",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    assert response.status_code == 302
    assert signed_in(other)


def test_behind_the_tls_proxy_only_the_last_forwarded_address_counts(
    client, developer, limit, settings
):
    settings.PORTICO_BEHIND_TLS_PROXY = True
    proxy = "10.0.0.2"
    statuses = [
        attempt(
            client,
            f"nobody-{n}@example.com",
            "wrong",
            REMOTE_ADDR=proxy,
            # The first entry is whatever the client sent; the proxy appended the last.
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}, 203.0.113.7",
        ).status_code
        for n in range(limit)
    ]
    assert statuses == [200] * (limit - 1) + [429]
    forged = Client()
    response = attempt(
        forged,
        "dev@example.com",
        TEST_PASSWORD,
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.7",
    )
    assert response.status_code == 429
    assert not signed_in(forged)
    # Another client behind the same proxy is not paused.
    neighbour = Client()
    response = attempt(
        neighbour,
        "dev@example.com",
        TEST_PASSWORD,
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="203.0.113.8",
    )
    assert response.status_code == 302
    assert signed_in(neighbour)


@pytest.mark.parametrize(
    ("email", "password", "status"),
    [
        pytest.param("dev@example.com", TEST_PASSWORD, 302, id="right-password"),
        pytest.param("dev@example.com", "wrong password", 200, id="wrong-password"),
        pytest.param("nobody@example.com", "whatever", 200, id="no-such-account"),
        pytest.param("blocked@example.com", TEST_PASSWORD, 200, id="blocked-right-password"),
        pytest.param("pending@example.com", "wrong password", 200, id="pending-wrong-password"),
        pytest.param("invited@example.com", "a guess", 200, id="invited-no-password-yet"),
    ],
)
def test_each_attempt_before_a_pause_hashes_once(
    client, developer, blocked_user, pending_user, make_user, hashes, email, password, status
):
    make_user(email="invited@example.com", password=None)
    hashes.clear()
    response = attempt(client, email, password)
    assert response.status_code == status
    assert len(hashes) == 1


def test_a_paused_attempt_runs_no_hasher(client, developer, limit, hashes):
    for n in range(limit):
        attempt(client, "dev@example.com", f"wrong-{n}")
    assert len(hashes) == limit
    hashes.clear()
    for email, password in [
        ("dev@example.com", TEST_PASSWORD),
        ("dev@example.com", "another wrong one"),
        ("nobody@example.com", "from the paused address"),
    ]:
        assert attempt(client, email, password).status_code == 429
    assert hashes == []


def test_signing_in_starts_the_count_again(client, developer, limit):
    for n in range(limit - 1):
        assert attempt(client, "dev@example.com", f"wrong-{n}").status_code == 200
    assert attempt(client, "dev@example.com", TEST_PASSWORD).status_code == 302
    client.logout()
    for n in range(limit - 1):
        assert attempt(client, "dev@example.com", f"again-{n}").status_code == 200
    # The count restarted at the sign-in, and still counts.
    assert attempt(client, "dev@example.com", "one too many").status_code == 429


def test_signing_in_to_ones_own_account_leaves_another_accounts_count(
    client, developer, make_user, limit
):
    """An attacker with an account of their own must not wipe the count on their target.

    Between rounds of guesses at the developer's password, from one address,
    the attacker signs in as themselves. The guesses still add up.
    """
    make_user(email="mallory@example.com")
    statuses = []
    for round_ in range(3):
        for n in range(limit - 1):
            guess = f"guess-{round_}-{n}"
            statuses.append(attempt(client, "dev@example.com", guess).status_code)
        attempt(client, "mallory@example.com", TEST_PASSWORD)
        client.logout()
    assert 429 in statuses
    assert not signs_in("dev@example.com", TEST_PASSWORD)
