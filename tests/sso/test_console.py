"""Settings › Identity provider: the client secret is written and never shown back, the
environment wins over the page, and a save over another administrator's is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sso.models import IdentityProviderSettings, current_provider
from tests.conftest import hidden_version

SECRET = "s3cret-that-must-never-be-shown"
URL = reverse("console:identity_provider")


def form(**changes):
    return {
        "display_name": "Contoso",
        "issuer": "https://login.contoso.example/tenant/v2.0",
        "client_id": "portico",
        "client_secret": "",
        "scopes": "openid email profile",
        "groups_claim": "groups",
        "allowed_domains": "",
        "version": 1,
    } | changes


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def test_the_settings_are_saved_and_the_secret_never_shown(admin_client):
    response = admin_client.post(
        URL, form(client_secret=SECRET, allowed_domains="@Partner.example")
    )
    assert response.status_code == 302
    provider = current_provider()
    assert (provider.display_name, provider.client_id, provider.client_secret) == (
        "Contoso",
        "portico",
        SECRET,
    )
    assert provider.allowed_domains == {"partner.example"}
    page = admin_client.get(URL).content.decode()
    assert SECRET not in page
    assert "Stored. Leave blank to keep it" in page
    assert "http://127.0.0.1:8000/signin/oidc/callback/" in page


def test_a_blank_secret_keeps_the_stored_one_and_a_new_one_replaces_it(admin_client):
    admin_client.post(URL, form(client_secret=SECRET))
    admin_client.post(URL, form(client_id="renamed", version=2))
    assert current_provider().client_secret == SECRET
    assert current_provider().client_id == "renamed"
    admin_client.post(URL, form(client_secret="another", version=3))
    assert current_provider().client_secret == "another"


def test_bad_input_is_refused_beside_its_field(admin_client):
    response = admin_client.post(
        URL,
        form(display_name="", scopes="email", allowed_domains="not a domain", client_secret=SECRET),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"display_name", "scopes", "allowed_domains"}
    assert not IdentityProviderSettings.objects.exists()
    assert SECRET not in response.content.decode()


def test_a_save_over_another_administrators_is_refused_without_showing_the_secret(admin_client):
    admin_client.post(URL, form(client_secret=SECRET))
    admin_client.post(URL, form(client_id="theirs", version=2))
    response = admin_client.post(URL, form(client_id="mine", client_secret="typed", version=2))
    page = response.content.decode()
    assert "Someone else saved these settings" in page
    assert SECRET not in page and "typed" not in page
    assert current_provider().client_id == "theirs"
    assert hidden_version(response) == 3


def test_the_environment_wins_and_the_page_says_so(admin_client, settings):
    admin_client.post(URL, form(client_secret=SECRET))
    settings.PORTICO_OIDC = {"issuer": "https://env.example", "client_secret": "from-env"}
    page = admin_client.get(URL).content.decode()
    assert "The environment sets PORTICO_OIDC_CLIENT_SECRET, PORTICO_OIDC_ISSUER" in page
    assert "from-env" not in page and SECRET not in page
    admin_client.post(URL, form(issuer="https://ignored.example", version=1))
    provider = current_provider()
    assert (provider.issuer, provider.client_secret) == ("https://env.example", "from-env")
    assert (
        IdentityProviderSettings.objects.get().issuer == "https://login.contoso.example/tenant/v2.0"
    )


@pytest.mark.parametrize("who", ["anonymous", "developer", "support_staff", "blocked_user"])
def test_only_administrators_open_it(client, sign_in_as, who, db):
    sign_in_as(who)
    response = client.get(URL)
    assert response.status_code in (302, 403)
    assert client.post(URL, form(client_secret=SECRET)).status_code in (302, 403)
    assert not IdentityProviderSettings.objects.exists()
