"""Settings › Provisioning (SCIM): tokens for identity providers, shown once, revocable.
Who may open the page at all is tests/test_console_access.py's table."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from scim import services
from scim.models import ScimToken, hash_token

pytestmark = pytest.mark.django_db


def test_a_token_is_shown_once_and_kept_as_a_hash(client, administrator):
    client.force_login(administrator)
    url = reverse("console:scim_tokens")
    response = client.post(url, {"name": "Entra ID (production)", "days": 365}, follow=True)
    body = response.content.decode()
    clear = re.search(r'id="new-token">([^<]+)<', body).group(1)
    token = ScimToken.objects.get()
    assert token.token_hash == hash_token(clear) and clear not in token.prefix
    assert token.created_by == administrator and "Entra ID (production)" in body
    assert "/scim/v2/" in body
    # Shown once: the next view of the page lists the token without its secret.
    again = client.get(url).content.decode()
    assert clear not in again and token.prefix in again
    response = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {clear}"})
    assert response.status_code == 200


def test_every_administrator_sees_and_revokes_the_portals_tokens(client, administrator, make_user):
    other = make_user(is_superuser=True)
    token, clear = services.issue_token(created_by=other, name="Okta", days=30)
    client.force_login(administrator)
    assert "Okta" in client.get(reverse("console:scim_tokens")).content.decode()
    revoke = reverse("console:scim_token_revoke", args=[token.pk])
    assert "Revoke the provisioning token" in client.get(revoke).content.decode()
    response = client.post(revoke)
    assert response.status_code == 302
    assert ScimToken.objects.get(pk=token.pk).revoked_at is not None
    assert "Revoked" in client.get(reverse("console:scim_tokens")).content.decode()
    response = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {clear}"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "data", [{"name": "", "days": 30}, {"name": "Okta", "days": 0}, {"name": "Okta", "days": 9999}]
)
def test_bad_input_is_refused_next_to_the_field(client, administrator, data):
    client.force_login(administrator)
    response = client.post(reverse("console:scim_tokens"), data)
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not ScimToken.objects.exists()
    if data["name"]:
        assert 'value="Okta"' in response.content.decode()


def test_the_settings_page_links_to_provisioning(client, administrator):
    client.force_login(administrator)
    body = client.get(reverse("console:settings")).content.decode()
    assert reverse("console:scim_tokens") in body
