"""Revoking a group's access starts the access rule in the background: the administrator is
told what follows, the key check refuses at once, and the job's page shows it finish."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect

from portal.models import Job
from subscriptions.models import Subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def key_check(subscription: Subscription) -> int:
    return (
        Client()
        .get(
            "/gateway/check",
            headers={"Ocp-Apim-Subscription-Key": subscription.primary_secret},
            query_params={"product": "partner-logistics"},
        )
        .status_code
    )


def test_revoking_access_suspends_in_the_background_and_the_key_stops_at_once(
    page, server_url, demo, sign_in, screenshot, settings
):
    # The real queue, and no worker until the test starts one.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    chen = Subscription.objects.get(
        owner__email="chen@example.com", product__name="partner-logistics"
    )
    assert key_check(chen) == 204

    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/products/partner-logistics/")
    page.get_by_role("link", name="Access control", exact=True).click()
    page.get_by_role("row").filter(has_text="Partners").get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Partners no longer has access to Partner logistics")).to_be_visible()
    told = page.get_by_text(re.compile(r"Access rule: checking 1 subscription"))
    expect(told).to_be_visible()
    expect(told).to_contain_text("This runs in the background")
    screenshot("access-rule-started")

    # Nothing has run yet, and Chen's key is already refused.
    assert key_check(chen) == 403
    assert Subscription.objects.get(pk=chen.pk).state == Subscription.State.ACTIVE

    page.get_by_role("link", name="its page shows progress").click()
    expect(page.get_by_role("heading", name=re.compile("^Access rule"))).to_be_visible()
    expect(page.get_by_text("Waiting", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile("No worker has been seen"))).to_be_visible()
    screenshot("access-rule-waiting")

    # A worker runs; the page, refreshing itself, shows the job done.
    call_command("portico_worker", burst=True, verbosity=0)
    expect(page.get_by_text("Done", exact=True)).to_be_visible(timeout=10_000)
    expect(page.get_by_text(re.compile(r"Suspended 1 subscription"))).to_be_visible()
    expect(page.get_by_text("1 (1 done)")).to_be_visible()
    screenshot("access-rule-done")
    assert Subscription.objects.get(pk=chen.pk).state == Subscription.State.SUSPENDED
    assert key_check(chen) == 403
    [email] = [m for m in mail.outbox if m.to == ["chen@example.com"]]
    assert "Fabrikam warehouse sync" in email.body
    assert Job.objects.filter(state=Job.State.SUCCEEDED).count() >= 2
