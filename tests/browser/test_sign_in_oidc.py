"""A developer signs in through a real OpenID Connect provider (node's certified
oidc-provider, started here) and sees the products of their directory group; when the
directory drops the group, their next sign-in takes the membership and the product away."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from django.core.cache import cache
from playwright.sync_api import expect

from groups import services as group_services
from groups.models import Membership
from portal.models import User
from sso.models import ExternalIdentity, IdentityProviderSettings
from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc_provider"
CLIENT_ID = "portico-browser-test"
CLIENT_SECRET = "a-browser-test-client-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DirectoryAccounts:
    """The provider's accounts, in the file it reads at each sign-in."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.accounts: dict[str, dict] = {}

    def set(self, login: str, **claims: object) -> None:
        self.accounts[login] = claims
        self.path.write_text(json.dumps(self.accounts))


@pytest.fixture
def identity_provider(tmp_path, live_server, settings):
    """oidc-provider on a free port, with Portico's live server as its one client."""
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").exists():
        pytest.fail("Run `npm ci --prefix tests/oidc_provider` (make pytest does) first.")
    port = free_port()
    accounts = DirectoryAccounts(tmp_path / "accounts.json")
    accounts.set("nobody")
    redirect_uri = f"{live_server.url}/signin/oidc/callback/"
    config = tmp_path / "provider.json"
    config.write_text(
        json.dumps(
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uri": redirect_uri,
                "accounts_file": str(accounts.path),
            }
        )
    )
    process = subprocess.Popen(
        ["node", str(PROVIDER_DIR / "provider.js"), str(port), str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("The OpenID Connect provider didn't start")
            time.sleep(0.1)
    cache.clear()
    settings.PORTICO_BASE_URL = live_server.url
    settings.PORTICO_OIDC = {
        "name": "Test Directory",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": "openid email profile groups",
        "groups_claim": None,
    }
    yield accounts
    process.terminate()
    process.wait(timeout=10)
    cache.clear()


def sign_in_with_the_provider(page, server_url, login):
    page.goto(f"{server_url}/signin/")
    page.get_by_role("link", name="Sign in with Test Directory").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("anything")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def test_a_developer_signs_in_with_the_directory_and_access_follows_its_groups(
    page, server_url, identity_provider, screenshot, make_product
):
    IdentityProviderSettings.objects.update_or_create(pk=1, defaults={"creates_accounts": True})
    directory_group = group_services.create_group(
        name="partners-directory",
        display_name="Partners (directory)",
        external_id="Partners-Directory",
    )
    make_product("Partner Deals", groups=[directory_group])
    identity_provider.set(
        "zoe",
        email="zoe@partner.example",
        email_verified=True,
        given_name="Zoë",
        family_name="Ōkubo",
        groups=["Partners-Directory", "Unknown-To-Portico"],
    )

    page.goto(f"{server_url}/signin/")
    expect(page.get_by_role("link", name="Sign in with Test Directory")).to_be_visible()
    screenshot("sign-in-with-provider")
    sign_in_with_the_provider(page, server_url, "zoe")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.url.rstrip("/") == server_url
    page.goto(f"{server_url}/products/")
    expect(page.get_by_role("link", name="Partner Deals")).to_be_visible()
    zoe = User.objects.get(email="zoe@partner.example")
    assert (zoe.first_name, zoe.last_name) == ("Zoë", "Ōkubo")
    assert ExternalIdentity.objects.get(user=zoe).subject == "zoe"
    assert Membership.objects.get(user=zoe).synced_via == "sign-in"

    page.get_by_role("button", name="Sign out").click()
    page.context.clear_cookies()
    identity_provider.set(
        "zoe", email="zoe@partner.example", email_verified=True, groups=["Someone-Else"]
    )
    sign_in_with_the_provider(page, server_url, "zoe")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(f"{server_url}/products/")
    expect(page.get_by_role("link", name="Partner Deals")).to_have_count(0)
    assert not Membership.objects.filter(user=zoe).exists()
    assert ExternalIdentity.objects.count() == 1


def test_a_blocked_account_is_refused_whatever_the_provider_says(
    page, server_url, identity_provider, make_user, screenshot
):
    make_user(email="gone@partner.example", state=User.State.BLOCKED)
    identity_provider.set("gone", email="gone@partner.example", email_verified=True, groups=[])
    sign_in_with_the_provider(page, server_url, "gone")
    expect(
        page.get_by_role("heading", name="Sign-in with Test Directory didn't work")
    ).to_be_visible()
    expect(page.get_by_text("This account is blocked.")).to_be_visible()
    screenshot("sign-in-with-provider-refused")
    page.goto(f"{server_url}/")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert not ExternalIdentity.objects.exists()


def test_an_administrator_sets_up_the_identity_provider(
    page, server_url, administrator, sign_in, screenshot
):
    sign_in("root@example.com", TEST_PASSWORD)
    page.goto(f"{server_url}/console/settings/")
    page.get_by_role("link", name="Identity provider").click()
    expect(page.get_by_role("heading", name="Identity provider")).to_be_visible()
    page.get_by_label("Provider name").fill("Contoso")
    page.get_by_label("Issuer URL").fill("https://login.contoso.example/tenant/v2.0")
    page.get_by_label("Client ID").fill("portico")
    page.get_by_label("Client secret").fill("not-shown-again")
    page.get_by_label("A first sign-in creates the account").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the settings of Contoso.")).to_be_visible()
    assert page.get_by_label("Client secret").input_value() == ""
    expect(page.get_by_text("Stored. Leave blank to keep it")).to_be_visible()
    screenshot("identity-provider-settings")
    assert IdentityProviderSettings.objects.get().client_secret == "not-shown-again"
