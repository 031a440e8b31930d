"""A developer asks to join Partners; an administrator approves; the developer sees its product."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_developer_requests_partners_an_administrator_approves_and_they_see_the_product(
    page, server_url, demo, sign_in, screenshot, new_signed_in_page, settings
):
    # The demo's waiting subscription was just announced; this request gets its own email.
    settings.PORTICO_APPROVALS_EMAIL_MINUTES = 0
    # The administrator opens Partners to requests in its Settings.
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/groups/partners/settings/")
    page.get_by_label("Developers can ask to join").check()
    page.get_by_label("Who should ask").fill("Staff of our logistics partners")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved")).to_be_visible()

    # Bob, in his own browser, doesn't see the partners' product yet and asks to join.
    bob = new_signed_in_page("bob@example.com")
    bob.goto(f"{server_url}/products/")
    expect(bob.get_by_role("link", name="Partner logistics")).to_have_count(0)
    bob.get_by_role("link", name="Groups").click()
    card = bob.get_by_role("region", name="Partners")
    expect(card).to_contain_text("Who should ask: Staff of our logistics partners")
    card.get_by_role("link", name="Request to join").click()
    bob.get_by_label("Why do you need to join?").fill("I run the Acme integration.")
    screenshot("group-request-form", of=bob)
    bob.get_by_role("button", name="Send the request").click()
    expect(bob.get_by_text("Your request to join Partners was sent.")).to_be_visible()
    expect(bob.get_by_role("region", name="Partners")).to_contain_text("Request waiting")
    assert any("asks to join Partners" in message.body for message in mail.outbox)

    # A second request while one waits is refused.
    bob.goto(f"{server_url}/groups/partners/request/")
    bob.get_by_label("Why do you need to join?").fill("Again")
    bob.get_by_role("button", name="Send the request").click()
    expect(bob.get_by_text("your request is waiting for an administrator")).to_be_visible()
    bob.goto(f"{server_url}/profile/")
    expect(bob.get_by_role("row").filter(has_text="Partners")).to_contain_text("Waiting")

    # The administrator approves in the group's Requests tab.
    page.goto(f"{server_url}/console/groups/partners/")
    page.get_by_role("link", name="Requests").click()
    row = page.get_by_role("row").filter(has_text="bob@example.com")
    expect(row).to_contain_text("I run the Acme integration.")
    screenshot("group-requests-console")
    row.get_by_role("link", name="Approve").click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("is now in Partners")).to_be_visible()
    expect(page.get_by_text("No request is waiting.")).to_be_visible()

    # Bob now sees the partners' product, and his profile says approved.
    bob.goto(f"{server_url}/products/")
    expect(bob.get_by_role("link", name="Partner logistics")).to_be_visible()
    bob.goto(f"{server_url}/profile/")
    expect(bob.get_by_role("row").filter(has_text="Partners")).to_contain_text("Approved")
    assert any("You are now in Partners" in message.subject for message in mail.outbox)
