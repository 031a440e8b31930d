"""Writes from SCIM provisioning: its tokens, and the accounts and external groups it manages.

Every change to an account or a group goes through the owning app's own
service, so provisioning has the same effects as the console: activation
rules, the sight funnel (access rule, subscriptions suspended), sign-outs.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from audit.services import Ref, record, snapshot
from groups import services as group_services
from groups.models import Group, Membership
from portal import services as user_services
from portal.models import User
from portal.names import MAX_ID_LENGTH, propose_id
from scim.models import TOKEN_PREFIX, ScimToken, ScimUser, hash_token
from subscriptions import services as subscription_services

logger = logging.getLogger(__name__)

PROVISIONING = Membership.Sync.PROVISIONING


# What the activity record keeps of a token: never the token, nor its hash or prefix.
RECORDED_TOKEN_FIELDS = ("name", "expires_at")


def token_ref(token: ScimToken) -> Ref:
    """A SCIM token as the activity record names it: by its name (the same as the actor's).

    No owner: the token is the portal's, not its creator's.
    """
    return Ref("scim_token", str(token.pk), token.name)


@transaction.atomic
def issue_token(*, created_by: Any, name: str, days: int) -> tuple[ScimToken, str]:
    """Create a token; the clear text is returned once and never stored."""
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ScimToken.objects.create(
        created_by=created_by,
        name=name,
        prefix=clear[:14],
        token_hash=hash_token(clear),
        expires_at=timezone.now() + timedelta(days=days),
    )
    record("scim_token.create", token_ref(token), after=snapshot(token, RECORDED_TOKEN_FIELDS))
    return token, clear


@transaction.atomic
def revoke_token(*, token: ScimToken) -> ScimToken:
    """Make a token fail from now on; revoking it again keeps the first time."""
    revoked = ScimToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db(fields=["revoked_at"])
    if revoked:
        record(
            "scim_token.revoke",
            token_ref(token),
            before=snapshot(token, RECORDED_TOKEN_FIELDS),
            after={"revoked_at": token.revoked_at},
        )
    return token


def record_use(*, token: ScimToken) -> None:
    """Note when a token was last used, at most once a minute; a refused write is only logged."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        try:
            with transaction.atomic():
                ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
        except DatabaseError:
            logger.warning(
                "Could not note the use of SCIM token %s; the database refused the write",
                token.pk,
            )


def _refuse_administrator(user: User, action: str) -> None:
    """The directory never locks out the console: administrators are managed there."""
    if user.is_superuser:
        message = (
            f"{user.email} is an administrator: provisioning can't {action} the account; "
            "do it in the console."
        )
        raise ValidationError({"active": ValidationError(message, code="administrator")})


def _set_external_id(user: User, external_id: str | None) -> None:
    """Keep the directory's reference for a person; a new one is recorded as user.update."""
    if external_id is None:
        return
    before = ScimUser.objects.filter(user=user).values_list("external_id", flat=True).first()
    if before == external_id:
        return
    ScimUser.objects.update_or_create(user=user, defaults={"external_id": external_id})
    record(
        "user.update",
        user_services.user_ref(user),
        before={"external_id": before},
        after={"external_id": external_id},
    )


@transaction.atomic
def provision_user(
    *,
    email: str,
    first_name: str,
    last_name: str,
    active: bool,
    external_id: str | None,
    password: str | None = None,
) -> User:
    """Create an account for the directory's user.

    No invitation is emailed: a provisioned person signs in through the
    identity provider (or asks for a password link). An account created
    inactive is pending, so that the first activation still applies the
    group rules.
    """
    if User.objects.filter(email__iexact=email).exists():
        message = "A user with this email address already exists."
        raise ValidationError({"email": ValidationError(message, code="unique")})
    user = user_services.create_user(
        email=email,
        first_name=first_name,
        last_name=last_name,
        password=password,
        password_hash=None if password else make_password(None),
        state=User.State.ACTIVE if active else User.State.PENDING,
    )
    _set_external_id(user, external_id)
    return user


@transaction.atomic
def update_user(
    *,
    user: User,
    email: str,
    first_name: str,
    last_name: str,
    active: bool,
    external_id: str | None,
) -> User:
    """Apply the directory's view of a person: details, then active or not, then its reference."""
    changes: dict[str, Any] = {
        name: value
        for name, value in (("email", email), ("first_name", first_name), ("last_name", last_name))
        if getattr(user, name) != value
    }
    if changes:
        user = user_services.update_user(user=user, actor=None, **changes)
    user = set_active(user=user, active=active)
    _set_external_id(user, external_id)
    return user


def set_active(*, user: User, active: bool) -> User:
    """active: false blocks the account (signed out, the access rule runs); true lets it back."""
    if active and user.state != User.State.ACTIVE:
        return user_services.unblock_user(user=user)
    if not active and user.state == User.State.ACTIVE:
        _refuse_administrator(user, "deactivate")
        return user_services.block_user(user=user, actor=None)
    return user


@transaction.atomic
def deprovision_user(*, user: User) -> int:
    """Delete the account as the console's Delete does: open subscriptions cancelled first."""
    _refuse_administrator(user, "delete")
    return subscription_services.close_account(user=user, actor=None)


def _free_group_id(display_name: str) -> str:
    base = propose_id(display_name) or "directory-group"
    base = base[: MAX_ID_LENGTH - 10]
    candidate, n = base, 1
    while Group.objects.filter(name__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _refuse_taken_reference(external_id: str, group: Group | None = None) -> None:
    taken = Group.objects.for_directory([external_id]).filter(type=Group.Type.EXTERNAL)
    if group is not None:
        taken = taken.exclude(pk=group.pk)
    other = taken.first()
    if other is not None:
        message = f"The external group {other.display_name} already has this reference."
        raise ValidationError({"external_id": ValidationError(message, code="unique")})


@transaction.atomic
def provision_group(
    *, display_name: str, external_id: str | None, members: Iterable[User] = ()
) -> Group:
    """Create an external group for the directory's group, with its members.

    Its directory reference is the SCIM externalId, or else the display
    name, so that a sign-in's groups claim naming either finds it too.
    """
    reference = (external_id or display_name).strip()
    _refuse_taken_reference(reference)
    group = group_services.create_group(
        name=_free_group_id(display_name),
        display_name=display_name,
        external_id=reference,
    )
    people = list(members)
    if people:
        group_services.add_directory_members(group=group, users=people, via=PROVISIONING)
    return group


@transaction.atomic
def update_group(
    *, group: Group, display_name: str | None = None, external_id: str | None = None
) -> Group:
    """Rename an external group or change its directory reference."""
    changes: dict[str, Any] = {}
    if display_name is not None and display_name != group.display_name:
        changes["display_name"] = display_name
    if external_id is not None and external_id.strip() and external_id != group.external_id:
        _refuse_taken_reference(external_id.strip(), group)
        changes["external_id"] = external_id.strip()
    if not changes:
        return group
    return group_services.update_group(group=group, expected_version=None, **changes)


def delete_group(*, group: Group) -> None:
    """The directory deleted the group: its members lose what it gave them."""
    if group.type != Group.Type.EXTERNAL:
        message = f"{group.display_name} isn't an external group."
        raise ValidationError({"group": ValidationError(message, code="not_external")})
    group_services.delete_group(group=group)


def add_members(*, group: Group, users: Iterable[User]) -> int:
    return group_services.add_directory_members(group=group, users=users, via=PROVISIONING)


def remove_members(*, group: Group, users: Iterable[User]) -> int:
    return group_services.remove_directory_members(group=group, users=users)


def replace_members(*, group: Group, users: Iterable[User]) -> tuple[int, int]:
    return group_services.replace_directory_members(group=group, users=users, via=PROVISIONING)
