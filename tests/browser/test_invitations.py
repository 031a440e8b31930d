"""An administrator invites a partner; the partner follows the emailed link and is in."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_invited_partner_accepts_and_sees_the_partners_product_at_once(
    page, server_url, demo, sign_in, screenshot, browser
):
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/users/")
    page.get_by_role("button", name="+ Add").click()
    page.get_by_role("link", name="Invite").click()
    expect(page.get_by_role("heading", name="Invite a person")).to_be_visible()
    page.get_by_label("Email address").fill("pat@partner.example")
    page.get_by_label("First name").fill("Pat")
    page.get_by_label("Partners", exact=True).check()
    screenshot("invitation-form")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invited pat@partner.example")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="pat@partner.example")
    expect(row).to_contain_text("Partners")
    expect(row.get_by_role("button", name="Resend")).to_be_visible()

    [email] = [message for message in mail.outbox if message.to == ["pat@partner.example"]]
    link = re.search(r"https?://\S+/invitation/\S+/", email.body).group(0)
    path = link.split("/invitation/", 1)[1]

    # The partner, in their own browser, follows the link.
    other = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        partner = other.new_page()
        partner.goto(f"{server_url}/invitation/{path}")
        expect(partner.get_by_role("heading", name="Welcome to Portico")).to_be_visible()
        expect(partner.get_by_text("Partners", exact=True)).to_be_visible()
        partner.get_by_label("Last name").fill("Partner")
        partner.locator("#id_password1").fill("a-rather-unusual-passphrase-42")
        partner.locator("#id_password2").fill("a-rather-unusual-passphrase-42")
        screenshot("invitation-accept", of=partner)
        partner.get_by_role("button", name="Open my account").click()
        expect(partner.get_by_text("Your account is ready")).to_be_visible()
        expect(partner.get_by_role("link", name="Partner logistics")).to_be_visible()

        # The link works once.
        partner.goto(f"{server_url}/invitation/{path}")
        expect(partner.get_by_text("already used")).to_be_visible()
    finally:
        other.close()
