"""The console's Approvals: an administrator rejects several kinds of request at once, with a
reason that each person gets."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from groups import services as group_services
from groups.models import Group, GroupRequest
from portal.models import User
from subscriptions.models import Subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_rejects_a_request_and_a_subscription_together(
    page, server_url, demo, sign_in, screenshot
):
    partners = Group.objects.get(name="partners")
    group_services.update_group(group=partners, expected_version=partners.version, requestable=True)
    dana = User.objects.get(email="dana@example.com")
    group_services.request_to_join(
        user=dana, group=Group.objects.get(name="partners"), reason="I build the Acme sync."
    )
    waiting = Subscription.objects.filter(state=Subscription.State.SUBMITTED)
    assert waiting.exists(), "the demo data has a subscription waiting for approval"

    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/")
    page.get_by_role("link", name=re.compile(r"^Approvals")).click()
    expect(page.get_by_role("row").filter(has_text="I build the Acme sync.")).to_be_visible()
    screenshot("console-approvals")

    # Everything on the page ticked at once, then Reject without a reason: refused, kept.
    page.get_by_label("Select every request on this page").check()
    page.get_by_role("button", name="Reject selected").click()
    expect(
        page.get_by_text("Give a reason: each person you reject gets it by email.")
    ).to_be_visible()
    for box in page.get_by_role("checkbox", name=re.compile("^Select this")).all():
        expect(box).to_be_checked()
    assert GroupRequest.objects.get(user=dana).state == GroupRequest.State.SUBMITTED

    page.get_by_label("Reason for rejecting").fill("Please ask again in January.")
    page.get_by_role("button", name="Reject selected").click()
    expect(page.get_by_text("request to join Partners was rejected")).to_be_visible()
    expect(page.get_by_text("was rejected; its owner got your reason.")).to_be_visible()
    expect(page.get_by_text("Nothing is waiting for you")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Approvals"))).to_have_text("Approvals")

    assert GroupRequest.objects.get(user=dana).decision_reason == "Please ask again in January."
    assert not Subscription.objects.filter(state=Subscription.State.SUBMITTED).exists()
    told = [m for m in mail.outbox if "Please ask again in January." in m.body]
    assert {address for m in told for address in m.to} >= {"dana@example.com"}
