"""Signing in with an OpenID Connect provider: the ID token checks, whose account a sign-in
lands in, and the groups claim synced at each sign-in."""

from __future__ import annotations

import html
import logging
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from joserfc.jwk import RSAKey

from groups import services as group_services
from groups.models import Membership
from portal.models import User
from sso.models import ExternalIdentity, IdentityProviderSettings
from tests.conftest import catalogue
from tests.sso.conftest import sign_in_through


@pytest.fixture
def directory_group(db):
    return group_services.create_group(
        name="partners-directory",
        display_name="Partners (directory)",
        external_id="Partners-Directory",
    )


@pytest.fixture
def deals(make_product, directory_group):
    return make_product("Partner Deals", groups=[directory_group])


def signed_in_user(client):
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id) if user_id else None


def assert_refused(response, client, *, status, says):
    assert response.status_code == status
    text = html.unescape(response.content.decode())
    assert "Sign-in with Contoso didn't work" in text
    assert says in text
    assert signed_in_user(client) is None


# The ID token's checks: each refused with a clear page, nothing created


def test_a_first_sign_in_creates_the_account_and_syncs_its_directory_groups(
    client, fake_provider, creates_accounts, deals
):
    response = sign_in_through(client, fake_provider)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:landing")
    user = signed_in_user(client)
    assert user.email == "new.person@partner.example"
    assert (user.first_name, user.last_name, user.state) == ("New", "Person", User.State.ACTIVE)
    assert not user.has_usable_password()
    identity = ExternalIdentity.objects.get(user=user)
    assert (identity.issuer, identity.subject) == (fake_provider.issuer, "subject-1")
    assert identity.last_sign_in_at is not None
    assert catalogue(client) == {"partner-deals"}
    membership = Membership.objects.get(user=user)
    assert membership.synced_via == "sign-in"


def test_signing_in_again_after_the_directory_drops_the_group_removes_it(
    client, fake_provider, creates_accounts, deals
):
    sign_in_through(client, fake_provider)
    client.logout()
    fake_provider.claims["groups"] = []
    assert sign_in_through(client, fake_provider).status_code == 302
    assert ExternalIdentity.objects.count() == 1
    assert not Membership.objects.filter(group__name="partners-directory").exists()
    assert catalogue(client) == set()


def nothing_created():
    return (
        not ExternalIdentity.objects.exists()
        and not User.objects.filter(email="new.person@partner.example").exists()
    )


@pytest.mark.parametrize(
    ("shape", "says"),
    [
        (lambda claims: claims | {"aud": "another-app"}, "wrong audience"),
        (lambda claims: claims | {"aud": ["portico-test", "another-app"]}, "wrong audience"),
        (lambda claims: claims | {"iss": "https://evil.example"}, "another issuer"),
        (
            lambda claims: claims | {"iat": int(time.time()) - 900, "exp": int(time.time()) - 61},
            "has expired",
        ),
        (lambda claims: claims | {"iat": int(time.time()) + 120}, "issued in the future"),
        (lambda claims: {k: v for k, v in claims.items() if k != "exp"}, "no valid expiry"),
        (lambda claims: claims | {"nonce": "another-sign-in"}, "nonce doesn"),
        (lambda claims: {k: v for k, v in claims.items() if k != "nonce"}, "nonce doesn"),
    ],
    ids=[
        "audience",
        "extra-audience",
        "issuer",
        "expired",
        "future",
        "no-expiry",
        "nonce",
        "no-nonce",
    ],
)
def test_a_token_with_a_wrong_claim_is_refused(
    client, fake_provider, creates_accounts, shape, says
):
    fake_provider.shape = shape
    assert_refused(sign_in_through(client, fake_provider), client, status=400, says=says)
    assert nothing_created()


def test_an_expiry_within_the_clock_leeway_passes(client, fake_provider, creates_accounts):
    fake_provider.shape = lambda claims: claims | {"exp": int(time.time()) - 30}
    assert sign_in_through(client, fake_provider).status_code == 302


def test_a_token_signed_with_another_key_is_refused(client, fake_provider, creates_accounts):
    fake_provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "one"})
    response = sign_in_through(client, fake_provider)
    assert_refused(response, client, status=400, says="signature doesn")
    assert nothing_created()


def test_an_unsigned_token_is_refused(client, fake_provider, creates_accounts):
    fake_provider.replay = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."
    assert_refused(sign_in_through(client, fake_provider), client, status=400, says="isn't signed")
    assert nothing_created()


def test_a_replayed_id_token_is_refused_by_its_nonce(client, fake_provider, creates_accounts):
    sign_in_through(client, fake_provider)
    client.logout()
    ExternalIdentity.objects.all().delete()
    User.objects.all().delete()
    fake_provider.replay = fake_provider.issued[0]
    assert_refused(sign_in_through(client, fake_provider), client, status=400, says="replay")
    assert nothing_created()


def test_a_mismatched_state_is_refused(client, fake_provider, creates_accounts):
    response = sign_in_through(client, fake_provider, state="forged-state")
    assert_refused(response, client, status=400, says="didn't come from the sign-in")
    assert nothing_created()


def test_an_answer_opened_twice_is_refused_the_second_time(client, fake_provider, creates_accounts):
    response = client.get(reverse("portal:oidc_start"))
    answer = fake_provider.authorize(response["Location"])
    assert client.get(reverse("portal:oidc_callback"), answer).status_code == 302
    client.logout()
    again = client.get(reverse("portal:oidc_callback"), answer)
    assert_refused(again, client, status=400, says="no sign-in waiting")


def test_the_provider_refusing_is_said(client, fake_provider, creates_accounts):
    response = sign_in_through(
        client, fake_provider, error="access_denied", error_description="The user said no"
    )
    assert_refused(response, client, status=400, says="The user said no")
    assert nothing_created()


def test_a_code_without_the_pkce_verifier_is_refused(client, fake_provider, creates_accounts):
    response = client.get(reverse("portal:oidc_start"))
    answer = fake_provider.authorize(response["Location"])
    fake_provider.challenges[answer["code"]] = ("another-challenge", "n")
    response = client.get(reverse("portal:oidc_callback"), answer)
    assert_refused(response, client, status=400, says="didn't accept the authorization code")


# Whose account


def test_a_blocked_account_stays_blocked(client, fake_provider, blocked_user):
    fake_provider.claims |= {"email": "blocked@example.com"}
    response = sign_in_through(client, fake_provider)
    assert_refused(response, client, status=403, says="This account is blocked")
    assert not ExternalIdentity.objects.exists()
    assert User.objects.get(pk=blocked_user.pk).state == User.State.BLOCKED


def test_a_blocked_account_with_an_identity_is_refused_and_keeps_its_groups(
    client, fake_provider, blocked_user, directory_group
):
    ExternalIdentity.objects.create(
        user=blocked_user, issuer=fake_provider.issuer, subject="subject-1"
    )
    fake_provider.claims["groups"] = []
    group_services.sync_directory_groups(
        user=blocked_user, references=["Partners-Directory"], via="sign-in"
    )
    response = sign_in_through(client, fake_provider)
    assert_refused(response, client, status=403, says="This account is blocked")
    assert Membership.objects.filter(user=blocked_user).exists()


def test_a_pending_account_is_refused(client, fake_provider, pending_user):
    fake_provider.claims |= {"email": "pending@example.com"}
    response = sign_in_through(client, fake_provider)
    assert_refused(response, client, status=403, says="isn't active yet")
    assert not ExternalIdentity.objects.exists()


def test_a_verified_email_links_the_existing_account(client, fake_provider, developer):
    fake_provider.claims |= {"email": "DEV@example.com"}
    assert sign_in_through(client, fake_provider).status_code == 302
    assert signed_in_user(client) == developer
    assert ExternalIdentity.objects.get().user == developer


def test_entra_ids_verified_domain_claim_counts_as_verified(client, fake_provider, developer):
    del fake_provider.claims["email_verified"]
    fake_provider.claims |= {"email": "dev@example.com", "xms_edov": True}
    sign_in_through(client, fake_provider)
    assert signed_in_user(client) == developer


def test_an_unverified_email_links_nothing(client, fake_provider, developer, creates_accounts):
    fake_provider.claims |= {"email": "dev@example.com", "email_verified": False}
    response = sign_in_through(client, fake_provider)
    assert_refused(response, client, status=403, says="hasn't verified")
    assert not ExternalIdentity.objects.exists()


def test_the_subject_decides_not_the_email(client, fake_provider, developer, outsider):
    ExternalIdentity.objects.create(user=outsider, issuer=fake_provider.issuer, subject="subject-1")
    fake_provider.claims |= {"email": "dev@example.com"}
    sign_in_through(client, fake_provider)
    assert signed_in_user(client) == outsider


def test_without_account_creation_a_newcomer_is_refused(client, fake_provider):
    response = sign_in_through(client, fake_provider)
    assert_refused(response, client, status=403, says="doesn't create one")
    assert nothing_created()


def test_an_unverified_newcomer_gets_no_account(client, fake_provider, creates_accounts):
    fake_provider.claims["email_verified"] = False
    assert_refused(sign_in_through(client, fake_provider), client, status=403, says="verified")
    assert nothing_created()


def test_a_newcomer_outside_the_allowed_domains_gets_no_account(
    client, fake_provider, creates_accounts
):
    IdentityProviderSettings.objects.filter(pk=1).update(allowed_domains="contoso.example")
    response = sign_in_through(client, fake_provider)
    assert_refused(response, client, status=403, says="contoso.example")
    assert nothing_created()


def test_an_administrator_signs_in_this_way_too(client, fake_provider, administrator):
    fake_provider.claims |= {"email": "root@example.com"}
    sign_in_through(client, fake_provider)
    assert signed_in_user(client) == administrator
    assert client.get(reverse("console:settings")).status_code == 200


def test_an_administrator_with_no_next_lands_in_the_console(client, fake_provider, administrator):
    fake_provider.claims |= {"email": "root@example.com"}
    response = sign_in_through(client, fake_provider)
    assert response["Location"] == reverse("console:home")


# Where it lands, and the groups claim


def test_it_returns_to_the_page_it_started_from(client, fake_provider, developer):
    fake_provider.claims |= {"email": "dev@example.com"}
    response = sign_in_through(client, fake_provider, next_path="/products/")
    assert response["Location"] == "/products/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_it_never_returns_to_another_site(client, fake_provider, developer, target):
    fake_provider.claims |= {"email": "dev@example.com"}
    response = sign_in_through(client, fake_provider, next_path=target)
    assert response["Location"] == reverse("portal:landing")


@pytest.mark.parametrize("groups", ["Partners-Directory", {"id": 1}, ["ok", 3]])
def test_a_malformed_groups_claim_is_no_groups(
    client, fake_provider, developer, directory_group, groups, caplog
):
    group_services.sync_directory_groups(
        user=developer, references=["Partners-Directory"], via="sign-in"
    )
    fake_provider.claims |= {"email": "dev@example.com", "groups": groups}
    with caplog.at_level(logging.WARNING, logger="sso.services"):
        assert sign_in_through(client, fake_provider).status_code == 302
    assert not Membership.objects.filter(user=developer, group=directory_group).exists()
    assert "not a list of strings" in caplog.text


def test_a_missing_groups_claim_is_no_groups(client, fake_provider, developer, directory_group):
    group_services.sync_directory_groups(
        user=developer, references=["Partners-Directory"], via="sign-in"
    )
    del fake_provider.claims["groups"]
    fake_provider.claims |= {"email": "dev@example.com"}
    assert sign_in_through(client, fake_provider).status_code == 302
    assert not Membership.objects.filter(user=developer, group=directory_group).exists()


def test_another_groups_claim_can_be_named(
    client, fake_provider, developer, directory_group, settings
):
    settings.PORTICO_OIDC = settings.PORTICO_OIDC | {"groups_claim": "roles"}
    fake_provider.claims |= {
        "email": "dev@example.com",
        "groups": [],
        "roles": ["partners-directory"],
    }
    sign_in_through(client, fake_provider)
    assert Membership.objects.filter(user=developer, group=directory_group).exists()


# The sign-in page


def test_the_sign_in_page_offers_the_provider(client, fake_provider):
    response = client.get(reverse("portal:login") + "?next=/products/")
    assert "Sign in with Contoso" in response.content.decode()
    assert f"{reverse('portal:oidc_start')}?next=/products/" in response.content.decode()


def test_without_a_provider_there_is_no_button_and_no_sign_in(client, db):
    assert "Sign in with" not in client.get(reverse("portal:login")).content.decode()
    assert client.get(reverse("portal:oidc_start")).status_code == 404
    assert client.get(reverse("portal:oidc_callback")).status_code == 404


def test_an_unreachable_provider_is_a_clear_page(client, settings, db):
    settings.PORTICO_OIDC = {"name": "Contoso", "issuer": "http://127.0.0.1:9", "client_id": "x"}
    response = client.get(reverse("portal:oidc_start"))
    assert_refused(response, client, status=400, says="couldn't reach the provider")


# Claim rules apply at the first sign-in through the provider


def test_the_first_sign_in_through_the_provider_applies_claim_rules_once(
    client, fake_provider, creates_accounts, partners, administrator
):
    fake_provider.claims["department"] = "Logistics"
    rule = group_services.add_rule(
        group=partners, kind="claim", claim="department", value="Logistics", created_by=None
    )
    assert sign_in_through(client, fake_provider).status_code == 302
    membership = Membership.objects.get(group=partners)
    assert membership.added_by_rule == rule
    # An administrator takes the person out; later sign-ins don't put them back.
    group_services.remove_member(group=partners, user=membership.user)
    client.logout()
    assert sign_in_through(client, fake_provider).status_code == 302
    assert not Membership.objects.filter(group=partners).exists()
