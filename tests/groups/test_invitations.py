"""Invitations as a service: invite, resend, revoke, open a link, accept."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from groups import invitations
from groups.models import Group, Invitation, Membership
from portal.models import User
from tests.conftest import signs_in

PASSWORD = "a-rather-unusual-passphrase-42"


@pytest.fixture
def sent(db, administrator, partners, mailoutbox, django_capture_on_commit_callbacks):
    """Invite a partner; returns the invitation and the token read from the email."""

    def send(email="Pat.Partner@Example.com", groups=(partners,)):
        with django_capture_on_commit_callbacks(execute=True):
            invitation = invitations.invite(
                email=email, first_name="Pat", groups=groups, invited_by=administrator
            )
        return invitation, token_in(mailoutbox[-1].body)

    return send


def token_in(body: str) -> str:
    return re.search(r"/invitation/([^/\s]+)/", body).group(1)


def accept(token: str, **overrides) -> User:
    fields = {"first_name": "Pat", "last_name": "Partner", "password": PASSWORD} | overrides
    return invitations.accept(token=token, **fields)


def test_an_accepted_invitation_makes_an_active_account_in_the_groups(sent, partners, mailoutbox):
    invitation, token = sent()
    [email] = mailoutbox
    assert email.to == ["Pat.Partner@example.com"]
    assert "Partners" in email.body and "2 days" in email.body
    assert "Ada Admin invites you" in email.body
    assert token not in invitation.token_hash
    assert invitation.expires_at - invitation.sent_at == timedelta(days=2)
    user = accept(token)
    assert user.state == User.State.ACTIVE and user.has_usable_password()
    assert Membership.objects.filter(group=partners, user=user).exists()
    assert signs_in("pat.partner@example.com", PASSWORD)
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    # The account came with a password: no "choose your password" email.
    assert len(mailoutbox) == 1


def test_a_used_link_opens_nothing_and_changes_nothing(sent):
    _, token = sent()
    accept(token)
    assert invitations.open_link(token).outcome == "used"
    with pytest.raises(ValidationError):
        accept(token, password="another-unusual-passphrase-7")
    assert User.objects.filter(email__iexact="pat.partner@example.com").count() == 1


def test_an_expired_link_opens_nothing(sent):
    invitation, token = sent()
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert invitations.open_link(token).outcome == "expired"
    with pytest.raises(ValidationError):
        accept(token)
    assert not User.objects.filter(email__iexact="pat.partner@example.com").exists()


@pytest.mark.parametrize("tampered", ["", "x", "A" * 43, "A" * 500, "\x00abc"])
def test_a_tampered_link_opens_nothing(sent, tampered):
    _, token = sent()
    assert invitations.open_link(tampered).outcome == "invalid"
    assert invitations.open_link(token[:-1] + ("A" if token[-1] != "A" else "B")).outcome == (
        "invalid"
    )


def test_revoke_kills_the_link(sent):
    invitation, token = sent()
    assert invitations.revoke(invitation=invitation)
    assert not invitations.revoke(invitation=invitation)
    assert invitations.open_link(token).outcome == "revoked"
    with pytest.raises(ValidationError):
        accept(token)
    assert not User.objects.filter(email__iexact="pat.partner@example.com").exists()


def test_resend_sends_a_new_link_and_kills_the_old_one(
    sent, mailoutbox, django_capture_on_commit_callbacks
):
    invitation, old = sent()
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        resent = invitations.resend(invitation=invitation)
    new = token_in(mailoutbox[-1].body)
    assert new != old
    assert invitations.open_link(old).outcome == "invalid"
    assert invitations.open_link(new).outcome == "ok"
    assert resent.expires_at > timezone.now() + timedelta(days=1)


def test_resend_refuses_a_revoked_invitation(sent):
    invitation, _ = sent()
    invitations.revoke(invitation=invitation)
    with pytest.raises(ValidationError):
        invitations.resend(invitation=invitation)


def test_a_second_invitation_to_the_same_address_in_another_case_is_refused(sent, administrator):
    sent()
    with pytest.raises(ValidationError) as raised:
        invitations.invite(email="PAT.partner@example.COM", invited_by=administrator)
    assert raised.value.message_dict["email"] == ["An invitation to this email address is pending."]
    assert Invitation.objects.count() == 1


def test_an_expired_invitation_makes_way_for_a_new_one(sent):
    invitation, old = sent()
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    _, new = sent(email="pat.partner@example.com")
    assert invitations.open_link(old).outcome == "revoked"
    assert invitations.open_link(new).outcome == "ok"


def test_an_address_with_an_account_is_refused(db, administrator, developer):
    with pytest.raises(ValidationError) as raised:
        invitations.invite(email="DEV@example.com", invited_by=administrator)
    assert "already exists" in raised.value.message_dict["email"][0]
    assert not Invitation.objects.exists()


def test_system_groups_are_refused(db, administrator):
    developers = Group.objects.get(name=Group.DEVELOPERS)
    with pytest.raises(ValidationError) as raised:
        invitations.invite(email="x@example.com", groups=[developers], invited_by=administrator)
    assert "groups" in raised.value.message_dict
    assert not Invitation.objects.exists()


def test_an_account_made_meanwhile_stops_the_acceptance(sent, make_user):
    invitation, token = sent()
    make_user(email="pat.partner@EXAMPLE.com")
    with pytest.raises(invitations.AccountExists):
        accept(token)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_refused_password_changes_nothing(sent):
    invitation, token = sent()
    with pytest.raises(ValidationError):
        accept(token, password="12345678")
    assert not User.objects.filter(email__iexact="pat.partner@example.com").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
