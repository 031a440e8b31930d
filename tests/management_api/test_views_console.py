"""management_api.views.console: the console's API tokens page: create (shown once), list,
revoke."""

from __future__ import annotations

import hashlib
import html
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone

from management_api.models import AccessToken
from management_api.services import issue_token
from tests.management_api.helpers import (
    call_api,
)


@pytest.fixture
def console(client, administrator):
    client.force_login(administrator)
    return client


def create_on_page(client, name: str = "CI deploy", days: int = 30) -> str:
    """Create a token on the page, follow the redirect, and read the token shown."""
    response = client.post(reverse("console:tokens"), {"name": name, "days": days})
    assert response.status_code == 302
    assert response["Location"] == reverse("console:tokens")
    shown = client.get(response["Location"])
    assert shown.status_code == 200
    clear = shown.context["created"]["clear"]
    assert shown.context["created"]["name"] == name
    assert clear in shown.content.decode()
    return clear


def test_token_page_creates_a_token_shown_once(console, administrator):
    clear = create_on_page(console)
    assert clear.startswith("ptk_")

    token = AccessToken.objects.get()
    assert (token.user, token.name) == (administrator, "CI deploy")
    assert token.token_hash == hashlib.sha256(clear.encode()).hexdigest()
    assert clear not in {token.name, token.prefix, token.token_hash}
    assert clear.startswith(token.prefix)
    assert token.expires_at - timezone.now() == pytest.approx(
        timedelta(days=30), abs=timedelta(minutes=1)
    )

    again = console.get(reverse("console:tokens"))
    assert again.status_code == 200
    assert again.context["created"] is None
    assert clear not in again.content.decode()
    assert token.prefix in again.content.decode()
    # Once shown, the clear text is kept nowhere, not even in a session.
    for session in Session.objects.all():
        assert clear not in str(session.get_decoded())


def test_token_from_the_page_calls_the_api(console):
    clear = create_on_page(console)
    response = call_api(console, clear)
    assert response.status_code == 200
    assert response.json()["count"] == 3


@pytest.mark.parametrize(
    "data",
    [{"name": "", "days": 30}, {"name": "CI", "days": 0}, {"name": "CI", "days": 367}],
)
def test_token_page_refuses_invalid_input(console, data):
    response = console.post(reverse("console:tokens"), data)
    assert response.status_code == 200
    assert response.context["created"] is None
    assert "new-token" not in response.content.decode()
    assert response.context["form"].errors
    assert not AccessToken.objects.exists()


def test_token_page_lists_name_prefix_expiry_and_last_use(console, administrator):
    used, _ = issue_token(user=administrator, name="Nightly sync", days=10)
    used.last_used_at = timezone.now() - timedelta(hours=2)
    used.save()
    unused, _ = issue_token(user=administrator, name="Spare", days=90)

    content = html.unescape(console.get(reverse("console:tokens")).content.decode())

    for token in (used, unused):
        assert token.name in content
        assert f"{token.prefix}…" in content
        assert date_filter(timezone.localtime(token.expires_at), "j M Y") in content
    assert date_filter(timezone.localtime(used.last_used_at), "j M Y, H:i") in content
    assert "Never" in content


def test_token_page_lists_only_your_tokens(console, make_user):
    other = make_user(is_superuser=True, is_staff=True)
    issue_token(user=other, name="Someone else's", days=10)
    content = console.get(reverse("console:tokens")).content.decode()
    assert "Someone else" not in content


def test_revoke_makes_the_token_fail_with_401(console, administrator):
    clear = create_on_page(console)
    token = AccessToken.objects.get()
    assert call_api(console, clear).status_code == 200

    console.force_login(administrator)
    response = console.post(reverse("console:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("console:tokens")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked" in console.get(reverse("console:tokens")).content.decode()

    refused = call_api(console, clear)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "AuthenticationFailed"


def test_revoking_someone_elses_token_is_404(console, make_user):
    other = make_user(is_superuser=True, is_staff=True)
    token, clear = issue_token(user=other, name="Theirs", days=1)
    response = console.post(reverse("console:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert call_api(console, clear).status_code == 200


def test_revoke_asks_first_and_changes_nothing_until_asked(console, administrator):
    token, _ = issue_token(user=administrator, name="Deploy", days=1)
    response = console.get(reverse("console:token_revoke", args=[token.pk]))
    assert response.status_code == 200
    assert "Revoke the token “Deploy”?" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
