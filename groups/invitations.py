"""Invitations: an administrator names a person and their groups; the person
follows the emailed link, chooses a password and lands in those groups.

The link carries a random secret; only its SHA-256 is stored, so a link is
found by hashing what was given and nothing is compared secret by secret.
A link works once, until it expires (PORTICO_INVITATION_DAYS, two days as
Azure's), and Resend or Revoke kill it at once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone

from audit import context as audit_context
from audit.services import Ref, record, record_many
from groups import services as group_services
from groups.models import Group, Invitation
from portal import mail
from portal import services as portal_services
from portal.models import User


class AccountExists(Exception):
    """Someone made an account with the invited email after the invitation was sent."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def invitation_url(token: str) -> str:
    return settings.PORTICO_BASE_URL + reverse("portal:invitation", args=[token])


def _new_link(invitation: Invitation) -> str:
    """Give the invitation a fresh secret and expiry; the secret goes only into the email."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.token_hash = hash_token(token)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=settings.PORTICO_INVITATION_DAYS)
    return token


def _folded(email: str) -> str:
    return email.strip().lower()


def account_with(email: str) -> User | None:
    return User.objects.filter(Exact(Lower("email"), _folded(email))).first()


def pending_for(email: str) -> Invitation | None:
    """The open invitation to this address that has not expired, if any."""
    return (
        Invitation.objects.open()
        .filter(Exact(Lower("email"), _folded(email)), expires_at__gt=timezone.now())
        .first()
    )


def _ref(invitation: Invitation) -> Ref:
    return Ref("invitation", str(invitation.pk), invitation.email)


def _send_invitation(*, invitation_id: int, token: str) -> None:
    invitation = Invitation.objects.select_related("invited_by").get(pk=invitation_id)
    context = {
        "invitation": invitation,
        "groups": [group.display_name for group in invitation.groups.order_by("display_name")],
        "url": invitation_url(token),
        "days": settings.PORTICO_INVITATION_DAYS,
    }
    mail.send_templated("portal/email/invitation", context, [invitation.email])


def invite(
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    groups: Iterable[Group] = (),
    invited_by: User | None,
) -> Invitation:
    """Invite a person by email to custom groups; the email leaves after the commit.

    Refused (naming the field) for an address that has an account or a
    pending invitation, and for system groups. An expired invitation to
    the same address is closed and replaced.
    """
    email = User.objects.normalize_email(email.strip())
    groups = list(groups)
    system = [group.display_name for group in groups if group.is_system]
    if system:
        raise ValidationError(
            {"groups": f"{', '.join(system)}: Portico works out system groups' members itself."},
            code="system_group",
        )
    with transaction.atomic():
        if account_with(email) is not None:
            raise ValidationError(
                {"email": "An account with this email address already exists."},
                code="account_exists",
            )
        if pending_for(email) is not None:
            raise ValidationError(
                {"email": "An invitation to this email address is pending."}, code="pending"
            )
        # An expired invitation to the address makes way for the new one.
        expired = list(Invitation.objects.open().filter(Exact(Lower("email"), _folded(email))))
        replaced_at = timezone.now()
        Invitation.objects.filter(pk__in=[old.pk for old in expired]).update(revoked_at=replaced_at)
        invitation = Invitation(
            email=email, first_name=first_name, last_name=last_name, invited_by=invited_by
        )
        token = _new_link(invitation)
        invitation.full_clean(exclude=["token_hash"])
        invitation.save()
        invitation.groups.set(groups)
        created = record(
            "invitation.create",
            _ref(invitation),
            after={
                "email": email,
                "first_name": first_name,
                "last_name": last_name,
                "groups": sorted(group.pk for group in groups),
                "expires_at": invitation.expires_at,
            },
        )
        with audit_context.caused_by(created.pk):
            record_many(
                "invitation.revoke",
                [(_ref(old), None) for old in expired],
                after={"revoked_at": replaced_at},
            )
        mail.send_later(_send_invitation, invitation_id=invitation.pk, token=token)
    return invitation


@transaction.atomic
def resend(*, invitation: Invitation) -> Invitation:
    """Email a new link with a new expiry; the old link stops working."""
    current = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if current.accepted_at or current.revoked_at:
        raise ValidationError("This invitation was already accepted or revoked.", code="closed")
    expired_at = current.expires_at
    token = _new_link(current)
    current.save(update_fields=["token_hash", "sent_at", "expires_at"])
    record(
        "invitation.resend",
        _ref(current),
        before={"expires_at": expired_at},
        after={"expires_at": current.expires_at},
    )
    mail.send_later(_send_invitation, invitation_id=current.pk, token=token)
    return current


@transaction.atomic
def revoke(*, invitation: Invitation) -> bool:
    """Kill the invitation's link; False when it was already accepted or revoked."""
    now = timezone.now()
    revoked = bool(Invitation.objects.open().filter(pk=invitation.pk).update(revoked_at=now))
    if revoked:
        record("invitation.revoke", _ref(invitation), after={"revoked_at": now})
    return revoked


@dataclass(frozen=True)
class Opened:
    """What a link is worth: "ok", or "invalid", "expired", "revoked", "used"."""

    outcome: str
    invitation: Invitation | None = None


def open_link(token: str) -> Opened:
    """The invitation a link opens, or why it opens none."""
    if not token or len(token) > 100:
        return Opened("invalid")
    invitation = (
        Invitation.objects.select_related("invited_by").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None:
        return Opened("invalid")
    if invitation.accepted_at:
        return Opened("used", invitation)
    if invitation.revoked_at:
        return Opened("revoked", invitation)
    if invitation.is_expired:
        return Opened("expired", invitation)
    return Opened("ok", invitation)


def accept(*, token: str, first_name: str, last_name: str, password: str) -> User:
    """Make the invited person's active account and put it in the invitation's groups.

    Raises ValidationError for a link that opens nothing or a refused
    password (nothing changes), and AccountExists when the address got an
    account meanwhile.
    """
    opened = open_link(token)
    if opened.invitation is None or opened.outcome != "ok":
        raise ValidationError("This invitation link doesn't work.", code=opened.outcome)
    email = opened.invitation.email
    portal_services.check_password_rules(
        password, user=User(email=email, first_name=first_name, last_name=last_name)
    )
    # Hashed before the transaction opens, as create_user does.
    password_hash = make_password(password)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=opened.invitation.pk)
        if (
            invitation.token_hash != hash_token(token)
            or invitation.accepted_at
            or invitation.revoked_at
            or invitation.is_expired
        ):
            raise ValidationError("This invitation link doesn't work.", code="spent")
        if account_with(email) is not None:
            raise AccountExists(email)
        user = portal_services.create_user(
            email=email,
            first_name=first_name,
            last_name=last_name,
            password=None,
            password_hash=password_hash,
        )
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        accepted = record(
            "invitation.accept",
            _ref(invitation),
            related=Ref("user", str(user.pk), user.email),
            after={"accepted_at": invitation.accepted_at},
        )
        # An external group named when the invitation was sent (or one
        # since pointed at the directory) takes its members from the directory.
        with audit_context.caused_by(accepted.pk):
            for group in invitation.groups.hand_picked():
                group_services.add_members(
                    group=group, users=[user], added_by=invitation.invited_by
                )
    return user
