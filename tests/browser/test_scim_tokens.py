"""An administrator creates a provisioning token, a provider uses it, and it is revoked."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_use_and_revoke_a_provisioning_token(page, server_url, demo, sign_in, screenshot):
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/settings/")
    page.get_by_role("link", name="Provisioning (SCIM)").click()
    expect(page.get_by_text(f"{server_url}/scim/v2/")).to_be_visible()
    page.get_by_label("Name").fill("Entra ID (production)")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    token = page.locator("#new-token").inner_text().strip()
    screenshot("console-scim-tokens")

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    created = page.request.post(
        f"{server_url}/scim/v2/Users",
        headers=headers,
        data={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "provisioned@example.com",
        },
    )
    assert created.status == 201
    assert created.json()["userName"] == "provisioned@example.com"

    page.reload()
    expect(page.locator("#new-token")).to_have_count(0)
    row = page.get_by_role("row").filter(has_text="Entra ID (production)")
    expect(row).not_to_contain_text("Never")
    row.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Revoked the provisioning token")).to_be_visible()
    refused = page.request.get(f"{server_url}/scim/v2/Users", headers=headers)
    assert refused.status == 401
    assert refused.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
