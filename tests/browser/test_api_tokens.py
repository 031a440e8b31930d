"""An administrator creates an API token in the console, uses it, and revokes it."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def groups_url(server_url):
    return (
        f"{server_url}/subscriptions/{settings.PORTICO_AZURE_SUBSCRIPTION_ID}"
        f"/resourceGroups/{settings.PORTICO_AZURE_RESOURCE_GROUP}"
        f"/providers/Microsoft.ApiManagement/service/{settings.PORTICO_AZURE_SERVICE_NAME}"
        "/groups?api-version=2024-05-01"
    )


def test_create_use_and_revoke_a_token(page, server_url, demo, sign_in, screenshot):
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/")
    page.get_by_role("navigation", name="Console sections").get_by_role(
        "link", name="Settings"
    ).click()
    screenshot("console-settings")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("Deploy script")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("Copy it now: it is shown only this once")).to_be_visible()
    token = page.locator("#new-token").inner_text().strip()
    screenshot("console-api-tokens")

    answer = page.request.get(groups_url(server_url), headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200
    assert {group["name"] for group in answer.json()["value"]} >= {"developers", "partners"}

    page.reload()
    expect(page.locator("#new-token")).to_have_count(0)
    row = page.get_by_role("row").filter(has_text="Deploy script")
    expect(row).not_to_contain_text("Never")
    row.get_by_role("link", name="Revoke").click()
    expect(page.get_by_role("heading", name="Revoke the token “Deploy script”?")).to_be_visible()
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Revoked the token “Deploy script”")).to_be_visible()
    refused = page.request.get(groups_url(server_url), headers={"Authorization": f"Bearer {token}"})
    assert refused.status == 401
    assert refused.json()["error"]["code"] == "AuthenticationFailed"


def test_the_api_documentation_page(page, server_url, screenshot):
    page.goto(f"{server_url}/api/docs/")
    expect(page.get_by_role("heading", name="Management API")).to_be_visible()
    expect(page.get_by_role("cell", name="/groups/{groupId}", exact=True).first).to_be_visible()
    screenshot("api-docs")
