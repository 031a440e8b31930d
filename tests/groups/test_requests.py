"""Requests to join a group: the service rules and the emails they send."""

from __future__ import annotations

import pytest
from django.core import mail as outbox
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from groups import services
from groups.models import Group, GroupRequest, Membership
from portal import sight
from products.models import Product


@pytest.fixture
def open_partners(partners, administrator):
    return services.update_group(
        group=partners,
        expected_version=partners.version,
        requestable=True,
        request_hint="People at our partner companies",
    )


@pytest.fixture
def reports():
    told = []

    def listen(sender, **kwargs):
        told.append(kwargs)

    sight.sight_changed.connect(listen)
    yield told
    sight.sight_changed.disconnect(listen)


def test_request_is_stored_waiting_and_emails_the_administrators(
    open_partners, outsider, administrator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        asked = services.request_to_join(
            user=outsider, group=open_partners, reason="  We ship with you  "
        )
    assert asked.state == GroupRequest.State.SUBMITTED
    assert asked.reason == "We ship with you"
    [email] = outbox.outbox
    assert email.to == [administrator.email]
    assert email.subject == "New request to join a group waiting for your approval"
    assert "Otto Outsider <outsider@example.com> asks to join Partners" in email.body
    assert "We ship with you" in email.body
    assert "/console/approvals/" in email.body


def test_a_second_request_while_one_waits_is_refused(open_partners, outsider):
    services.request_to_join(user=outsider, group=open_partners, reason="First")
    with pytest.raises(ValidationError, match="already asked to join this group"):
        services.request_to_join(user=outsider, group=open_partners, reason="Second")
    assert GroupRequest.objects.count() == 1


def test_the_database_allows_one_waiting_request_per_person_and_group(open_partners, outsider):
    GroupRequest.objects.create(user=outsider, group=open_partners, reason="One")
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupRequest.objects.create(user=outsider, group=open_partners, reason="Two")


def test_after_a_rejection_the_person_may_ask_again(open_partners, outsider, administrator):
    first = services.request_to_join(user=outsider, group=open_partners, reason="First")
    services.reject_request(request=first, decided_by=administrator, reason="Who are you?")
    again = services.request_to_join(user=outsider, group=open_partners, reason="I'm Otto")
    assert again.is_waiting


def test_members_can_not_ask(open_partners, member):
    with pytest.raises(ValidationError, match="already a member of Partners"):
        services.request_to_join(user=member, group=open_partners, reason="Again")
    assert not GroupRequest.objects.exists()


def test_groups_not_open_to_requests_are_refused(partners, external, developers, outsider):
    for group in (partners, external, developers):
        with pytest.raises(ValidationError, match="doesn't take requests"):
            services.request_to_join(user=outsider, group=group, reason="Please")
    assert not GroupRequest.objects.exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(open_partners, outsider, reason):
    with pytest.raises(ValidationError, match="Say why"):
        services.request_to_join(user=outsider, group=open_partners, reason=reason)


def test_a_reason_over_1000_characters_is_refused(open_partners, outsider):
    with pytest.raises(ValidationError):
        services.request_to_join(user=outsider, group=open_partners, reason="x" * 1001)
    assert not GroupRequest.objects.exists()


def test_approving_adds_the_member_fires_the_funnel_and_emails_them(
    open_partners, outsider, administrator, product, reports, django_capture_on_commit_callbacks
):
    asked = services.request_to_join(user=outsider, group=open_partners, reason="Hi")
    outbox.outbox.clear()
    assert product not in Product.objects.visible_to(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.approve_request(request=asked, decided_by=administrator)
    assert decided.state == GroupRequest.State.APPROVED
    assert decided.decided_by == administrator
    assert decided.decided_at is not None
    membership = Membership.objects.get(group=open_partners, user=outsider)
    assert membership.added_by == administrator
    assert any(outsider.pk in report.get("owner_ids", ()) for report in reports)
    assert product in Product.objects.visible_to(outsider)
    [email] = outbox.outbox
    assert email.to == [outsider.email]
    assert "You are now in Partners" in email.subject
    assert "/profile/" in email.body


def test_rejecting_keeps_the_reason_and_emails_it(
    open_partners, outsider, administrator, django_capture_on_commit_callbacks
):
    asked = services.request_to_join(user=outsider, group=open_partners, reason="Hi")
    outbox.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.reject_request(
            request=asked, decided_by=administrator, reason="Only <partners> & friends"
        )
    assert decided.state == GroupRequest.State.REJECTED
    assert decided.decision_reason == "Only <partners> & friends"
    assert not Membership.objects.filter(user=outsider).exists()
    [email] = outbox.outbox
    assert email.to == [outsider.email]
    assert "declined" in email.subject
    assert "The reason given: Only <partners> & friends" in email.body


@pytest.mark.parametrize("reason", ["", "  ", "x" * 1001])
def test_rejecting_needs_a_reason_of_at_most_1000_characters(
    open_partners, outsider, administrator, reason
):
    asked = services.request_to_join(user=outsider, group=open_partners, reason="Hi")
    with pytest.raises(ValidationError):
        services.reject_request(request=asked, decided_by=administrator, reason=reason)
    asked.refresh_from_db()
    assert asked.is_waiting


def test_withdrawing_ends_the_request_without_email(
    open_partners, outsider, django_capture_on_commit_callbacks
):
    asked = services.request_to_join(user=outsider, group=open_partners, reason="Hi")
    outbox.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.withdraw_request(request=asked)
    assert decided.state == GroupRequest.State.WITHDRAWN
    assert outbox.outbox == []
    assert not Membership.objects.filter(user=outsider).exists()


def test_a_decided_request_can_not_be_decided_again(open_partners, outsider, administrator):
    asked = services.request_to_join(user=outsider, group=open_partners, reason="Hi")
    services.withdraw_request(request=asked)
    with pytest.raises(ValidationError, match="already withdrawn"):
        services.approve_request(request=asked, decided_by=administrator)
    with pytest.raises(ValidationError, match="already withdrawn"):
        services.reject_request(request=asked, decided_by=administrator, reason="No")
    assert not Membership.objects.filter(user=outsider).exists()


def test_deleting_the_group_deletes_its_requests(open_partners, outsider):
    services.request_to_join(user=outsider, group=open_partners, reason="Hi")
    services.delete_group(group=open_partners)
    assert not GroupRequest.objects.exists()
    assert not Group.objects.filter(name="partners").exists()
