"""The console's Jobs: an invitation's email fails while the mail server is down; the
administrator finds the failed job, reads why, and retries it once the server is back."""

from __future__ import annotations

import re
from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from playwright.sync_api import expect

from portal.models import Job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class DownMailServer(BaseEmailBackend):
    def send_messages(self, messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed")


def test_an_administrator_retries_an_email_that_failed(
    page, server_url, demo, sign_in, screenshot, settings
):
    settings.PORTICO_JOB_MAX_ATTEMPTS = 1
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.DownMailServer"}}
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/users/invite/")
    page.get_by_label("Email address").fill("pat@partner.example")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invited pat@partner.example")).to_be_visible()
    assert not [m for m in mail.outbox if m.to == ["pat@partner.example"]]

    page.get_by_role("navigation", name="Console sections").get_by_role("link", name="Jobs").click()
    expect(page.get_by_role("heading", name="Jobs", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="1 failed")).to_be_visible()
    expect(page.get_by_role("link", name="0 waiting")).to_be_visible()
    page.get_by_label("State").select_option("Failed")
    page.get_by_role("button", name="Apply").click()
    row = page.get_by_role("row").filter(has_text="Email: invitation")
    expect(row).to_contain_text("Failed")
    screenshot("console-jobs")
    row.get_by_role("link", name="Email: invitation").click()
    expect(page.get_by_role("heading", name="Email: invitation")).to_be_visible()
    expect(page.get_by_text("Why it failed")).to_be_visible()
    expect(page.get_by_role("link", name="admin@example.com", exact=True)).to_be_visible()
    reason = "SMTPServerDisconnected: Connection unexpectedly closed"
    expect(page.get_by_text(reason)).to_be_visible()
    screenshot("console-job-failed")

    # The mail server is back; Retry sends it.
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_text(re.compile("will run again"))).to_be_visible()
    expect(page.get_by_text("Done", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    [email] = [m for m in mail.outbox if m.to == ["pat@partner.example"]]
    assert "/invitation/" in email.body
    assert Job.objects.get(title="Email: invitation").state == Job.State.SUCCEEDED
