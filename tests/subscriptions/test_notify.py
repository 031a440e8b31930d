"""subscriptions.notify: who is emailed about subscriptions, and when."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from portal.models import User
from subscriptions import services as subscription_services
from subscriptions.models import SubscriptionSettings
from tests.conftest import fresh


def test_waiting_email_goes_to_the_notification_address(
    member, approval_product, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    settings_row = SubscriptionSettings.load()
    settings_row.notification_email = "approvals@example.com"
    settings_row.save()
    with django_capture_on_commit_callbacks(execute=True):
        subscription_services.subscribe(
            developer=member, product=approval_product, display_name="My app"
        )
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["approvals@example.com"]
    link = settings.PORTICO_BASE_URL + reverse("console:approvals")
    assert link in email.body.split()
    assert email.subject == "New subscription request waiting for your approval"
    assert f"asks to subscribe to {approval_product.display_name}" in email.body
    assert member.email in email.body


def test_waiting_email_goes_to_every_active_administrator_without_an_address(
    member,
    approval_product,
    administrator,
    make_user,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    second = User.objects.create_superuser("second@example.com", "x-long-password-1")
    User.objects.create_superuser("gone@example.com", "x-long-password-1", state=User.State.BLOCKED)
    make_user(email="staffer@example.com", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        subscription_services.subscribe(
            developer=member, product=approval_product, display_name="My app"
        )
    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == sorted([administrator.email, second.email])
    link = settings.PORTICO_BASE_URL + reverse("console:approvals")
    assert link in mailoutbox[0].body.split()


def test_no_waiting_email_without_approval(
    member, product, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscription_services.subscribe(developer=member, product=product, display_name="My app")
    assert mailoutbox == []


def test_approved_email_goes_to_the_developer(
    member, approval_product, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    subscription = subscription_services.subscribe(
        developer=member, product=approval_product, display_name="My app"
    )
    with django_capture_on_commit_callbacks(execute=True):
        subscription_services.change_state(subscription=subscription, action="approve")
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [member.email]
    assert "approved" in email.subject
    assert "“My app”" in email.body
    assert approval_product.display_name in email.body


def test_rejected_email_gives_the_reason(
    member, approval_product, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    subscription = subscription_services.subscribe(
        developer=member, product=approval_product, display_name="My app"
    )
    with django_capture_on_commit_callbacks(execute=True):
        subscription_services.change_state(
            subscription=subscription,
            action="reject",
            comment="Use the sandbox first.",
        )
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [member.email]
    assert "declined" in email.subject
    assert "Use the sandbox first." in email.body
    assert fresh(subscription).state_comment == "Use the sandbox first."


@pytest.mark.parametrize("action", ["suspend", "cancel"])
def test_other_state_changes_send_no_email(
    member,
    product,
    administrator,
    mailoutbox,
    django_capture_on_commit_callbacks,
    action,
    make_subscription,
):
    subscription = make_subscription(member, product, "active")
    with django_capture_on_commit_callbacks(execute=True):
        subscription_services.change_state(subscription=subscription, action=action)
    assert mailoutbox == []
