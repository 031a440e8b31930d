"""portal.views.account.signin_sso: the one-time sign-in link an administrator hands out
(the management API's generateSsoUrl)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal import services as user_services
from portal import user_tokens
from portal.models import User
from tests.conftest import TEST_PASSWORD, signs_in

PAGE = reverse("portal:signin_sso")


def signed_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.fixture
def token(developer):
    return user_tokens.sign_in_token(user=developer)


def test_the_link_the_api_makes_opens_this_page(developer):
    link = urlsplit(user_tokens.sign_in_url(user=developer))
    assert link.path == PAGE
    assert link.query.startswith("token=")


def test_opening_the_link_names_the_account_and_signs_nobody_in(client, developer, token):
    response = client.get(PAGE, {"token": token})
    assert response.status_code == 200
    assert "dev@example.com" in response.content.decode()
    assert signed_in_as(client) is None
    # A preview (a chat app's, a mail scanner's) leaves the link working.
    assert client.get(PAGE, {"token": token}).status_code == 200


def test_continuing_signs_in_once(client, developer, token):
    response = client.post(PAGE, {"token": token})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:landing")
    assert signed_in_as(client) == str(developer.pk)
    other = Client()
    again = other.post(PAGE, {"token": token})
    assert again.status_code == 410
    assert "used already" in again.content.decode()
    assert signed_in_as(other) is None
    assert other.get(PAGE, {"token": token}).status_code == 410


def test_signing_in_with_the_password_spends_the_link(client, developer, token):
    assert signs_in("dev@example.com", TEST_PASSWORD)
    assert client.post(PAGE, {"token": token}).status_code == 410


def test_an_expired_link_is_410(client, developer, token, monkeypatch):
    later = timezone.now() + timedelta(minutes=17)
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = client.post(PAGE, {"token": token})
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    "sent", ["", "nonsense", "nobody&209901010000&abc", "<script>alert(1)</script>", "a" * 5000]
)
def test_a_link_portico_did_not_make_is_404(client, db, sent):
    response = client.get(PAGE, {"token": sent})
    assert response.status_code == 404
    assert "<script>alert" not in response.content.decode()
    assert client.post(PAGE, {"token": sent}).status_code == 404


def test_no_token_at_all_is_404(client, db):
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE).status_code == 404


def test_a_forged_signature_signs_nobody_in(client, developer, token):
    forged = token.rsplit("&", 1)[0] + "&" + "A" * 86 + "=="
    assert client.post(PAGE, {"token": forged}).status_code == 404
    assert signed_in_as(client) is None


@pytest.mark.parametrize("expiry", ["209901010000", "200001010000"])
@pytest.mark.parametrize("signature", ["AAAA", "A" * 86 + "=="])
def test_a_forged_link_does_not_tell_whether_the_account_exists(
    client, developer, expiry, signature
):
    real = client.get(PAGE, {"token": f"{developer.api_id}&{expiry}&{signature}"})
    unknown = client.get(PAGE, {"token": f"nobody&{expiry}&{signature}"})
    assert real.status_code == unknown.status_code == 404
    assert real.content == unknown.content
    assert "one Portico made" in real.content.decode()


def test_an_unblocked_account_s_old_link_is_410(client, developer, token):
    user_services.block_user(user=developer, actor=None)
    user_services.unblock_user(user=developer)
    response = client.post(PAGE, {"token": token})
    assert response.status_code == 410
    assert "blocked or unblocked" in response.content.decode()
    assert signed_in_as(client) is None


def test_a_new_password_spends_the_link(client, developer, administrator, token):
    user_services.update_user(user=developer, actor=administrator, password="a new Passw0rd!")
    assert client.post(PAGE, {"token": token}).status_code == 410
    assert signed_in_as(client) is None


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("sent", ["good", "nonsense"])
def test_no_answer_is_kept_by_a_cache(client, developer, token, method, sent):
    response = getattr(client, method)(PAGE, {"token": token if sent == "good" else sent})
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_address_with_its_token_is_not_sent_to_other_sites(client, developer, token):
    # same-origin: a request to another site carries no Referer at all.
    assert client.get(PAGE, {"token": token})["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "change",
    [{"state": User.State.BLOCKED}, {"state": User.State.PENDING}, {"is_superuser": True}],
    ids=["blocked", "pending", "made-administrator"],
)
def test_a_link_of_an_account_that_may_no_longer_use_one_is_403(client, developer, token, change):
    User.objects.filter(pk=developer.pk).update(**change)
    response = client.post(PAGE, {"token": token})
    assert response.status_code == 403
    assert "Ask your administrator" in response.content.decode()
    assert signed_in_as(client) is None


def test_blocking_through_the_service_refuses_the_link(client, developer, token):
    user_services.block_user(user=developer, actor=None)
    assert client.get(PAGE, {"token": token}).status_code == 403


def test_continuing_needs_the_forms_csrf_token(developer, token):
    client = Client(enforce_csrf_checks=True)
    assert client.post(PAGE, {"token": token}).status_code == 403
    assert signed_in_as(client) is None


def test_another_method_is_405(client, token):
    assert client.put(PAGE, {"token": token}).status_code == 405


def test_someone_signed_in_becomes_the_links_account(client, outsider, developer, token):
    client.force_login(outsider)
    client.post(PAGE, {"token": token})
    assert signed_in_as(client) == str(developer.pk)
