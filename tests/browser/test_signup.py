"""A guest signs up, follows the emailed link and sees what developers see; with approval on,
an administrator approves the confirmed account first."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.models import SignUpSettings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-rather-unusual-passphrase-42"


def fill_sign_up(page, server_url, email):
    page.goto(f"{server_url}/")
    page.get_by_role("link", name="Create an account").first.click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("First name").fill("Zoë")
    page.get_by_label("Last name").fill("Ōkubo")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password_again").fill(PASSWORD)


def confirmation_link(outbox, email):
    message = next(m for m in reversed(outbox) if m.to == [email])
    return re.search(r"http\S+/signup/confirm/\S+/", message.body).group(0)


def path_of(url):
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_guest_signs_up_confirms_and_sees_the_developers_products(
    page, server_url, demo, sign_in, mailoutbox, screenshot
):
    SignUpSettings.objects.update_or_create(
        pk=1, defaults={"terms": "Be **kind** to our servers. No scraping."}
    )
    fill_sign_up(page, server_url, "zoe@newcomer.example")
    screenshot("sign-up")
    page.get_by_label("I accept the terms of use above").check()
    page.get_by_role("button", name="Create an account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.goto(server_url + path_of(confirmation_link(mailoutbox, "zoe@newcomer.example")))
    page.get_by_role("button", name="Confirm my email").click()
    expect(page.get_by_text("Your account is ready.")).to_be_visible()

    sign_in("zoe@newcomer.example", PASSWORD)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(f"{server_url}/products/")
    expect(page.get_by_role("link", name="Unlimited")).to_be_visible()


def test_with_approval_on_the_account_waits_until_an_administrator_approves(
    page, server_url, demo, sign_in, new_signed_in_page, mailoutbox, screenshot
):
    SignUpSettings.objects.update_or_create(pk=1, defaults={"approval": True})
    fill_sign_up(page, server_url, "zoe@newcomer.example")
    page.get_by_role("button", name="Create an account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(server_url + path_of(confirmation_link(mailoutbox, "zoe@newcomer.example")))
    page.get_by_role("button", name="Confirm my email").click()
    expect(page.get_by_text("An administrator approves new accounts")).to_be_visible()

    sign_in("zoe@newcomer.example", PASSWORD)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    # The administrator finds the sign-up in the one inbox, counted in the menu.
    console = new_signed_in_page("admin@example.com")
    console.goto(f"{server_url}/console/")
    inbox = console.get_by_role("link", name=re.compile(r"^Approvals"))
    expect(inbox).to_contain_text("2 waiting")
    inbox.click()
    expect(console.get_by_role("heading", name="Approvals")).to_be_visible()
    console.get_by_label("Show").select_option(label="Sign-ups (1)")
    console.get_by_role("button", name="Apply").click()
    row = console.get_by_role("row").filter(has_text="zoe@newcomer.example")
    row.get_by_role("checkbox").check()
    screenshot("console-approvals-sign-up", of=console)
    console.get_by_role("button", name="Approve selected").click()
    expect(
        console.get_by_text("Zoë Ōkubo can sign in now; they got an email saying so.")
    ).to_be_visible()
    expect(console.get_by_text("Nothing waiting matches")).to_be_visible()
    approved = next(m for m in reversed(mailoutbox) if m.to == ["zoe@newcomer.example"])
    assert "approved" in approved.subject

    sign_in("zoe@newcomer.example", PASSWORD)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(f"{server_url}/products/")
    expect(page.get_by_role("link", name="Unlimited")).to_be_visible()
