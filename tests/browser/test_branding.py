"""An administrator brands the portal in Settings › Branding (name, colour, logo) and the
portal shows it at once, under the site's CSP; a colour white text can't be read on is
refused by its field, with what was typed kept."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.content import images

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN = "admin@example.com"


def test_an_administrator_brands_the_portal(page, server_url, demo, sign_in, screenshot):
    refused_by_csp = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and refused_by_csp.append(message.text)
        ),
    )
    sign_in(ADMIN)
    page.goto(f"{server_url}/console/settings/")
    page.get_by_role("link", name="Branding").click()
    expect(page.get_by_role("heading", name="Branding", exact=True)).to_be_visible()

    page.get_by_label("Portal name").fill("Acme Developer Hub")
    # The picker fills the text box, and the preview follows both.
    page.get_by_label("Or pick the accent colour").fill("#8a1538")
    expect(page.locator("#id_accent_colour")).to_have_value("#8a1538")
    page.get_by_label("Upload a new logo").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": images.png(64, 32)}]
    )
    preview = page.locator("[data-preview-bar]")
    expect(preview).to_have_css("background-color", "rgb(138, 21, 56)")
    expect(preview).to_contain_text("Acme Developer Hub")
    expect(page.locator("[data-preview-ratio]")).to_contain_text("enough")
    screenshot("branding-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the branding.")).to_be_visible()
    expect(page.get_by_alt_text("The current logo")).to_be_visible()

    page.goto(f"{server_url}/products/")
    topbar = page.locator("nav.navbar.bg-portico")
    expect(topbar).to_have_css("background-color", "rgb(138, 21, 56)")
    # The logo is decorative (alt=""): the portal's name beside it is the link's text, so a
    # screen reader reads the name once, from the link.
    logo = topbar.locator(".navbar-brand img")
    expect(logo).to_be_visible()
    expect(logo).to_have_attribute("alt", "")
    expect(topbar.get_by_role("link", name="Acme Developer Hub", exact=True)).to_be_visible()
    assert logo.evaluate("image => image.naturalWidth") == 64
    expect(topbar.locator(".brand-name")).to_have_text("Acme Developer Hub")
    expect(page).to_have_title(re.compile(r" · Acme Developer Hub$"))
    # The primary buttons take the accent too.
    screenshot("branding-portal")
    assert refused_by_csp == []


def test_a_too_light_colour_is_refused_by_its_field(page, server_url, demo, sign_in, screenshot):
    sign_in(ADMIN)
    page.goto(f"{server_url}/console/settings/branding/")
    page.get_by_label("Portal name").fill("Sunny Side APIs")
    page.locator("#id_accent_colour").fill("#ffdd00")
    expect(page.locator("[data-preview-ratio]")).to_contain_text("will be refused")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#div_id_accent_colour")
    expect(error).to_contain_text("White text on #ffdd00 has a contrast of 1.34:1")
    expect(error).to_contain_text("Try #897600")
    expect(page.get_by_label("Portal name")).to_have_value("Sunny Side APIs")
    expect(page.locator("#id_accent_colour")).to_have_value("#ffdd00")
    screenshot("branding-refused")
    page.goto(f"{server_url}/")
    expect(page.locator("nav.navbar.bg-portico .brand-name")).to_have_text("Portico")
