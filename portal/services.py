"""Writes to user accounts that have rules or side effects."""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from portal import mail, sight, throttle
from portal.entities import ConcurrentChangeError
from portal.models import User

# What decides which products an account sees, besides its groups.
SIGHT_FIELDS = ("state", "is_superuser")


def set_password_url(user: User) -> str:
    """An absolute, single-use link where the person chooses a password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.PORTICO_BASE_URL + reverse(
        "portal:password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )


def _send_invitation(*, user_id: int) -> None:
    user = User.objects.get(pk=user_id)
    context = {
        "user": user,
        "url": set_password_url(user),
        "sign_in_url": settings.PORTICO_BASE_URL + reverse("portal:login"),
    }
    send_mail(
        subject="Your Portico developer account",
        message=render_to_string("portal/email/invitation.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def check_password_rules(password: str, *, user: User) -> None:
    """Refuse a password Django's validators refuse, naming the password field."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}, code="password") from None


def create_user(
    *,
    email: str,
    first_name: str,
    last_name: str,
    password: str | None,
    note: str = "",
    api_id: str = "",
    state: str = User.State.ACTIVE,
) -> User:
    """Create a developer; with no password, email a link to set one."""
    fields: dict[str, Any] = {"first_name": first_name, "last_name": last_name, "note": note}
    if api_id:
        fields["api_id"] = api_id
    password_hash = None
    if password:
        check_password_rules(password, user=User(email=email, **fields))
        # Hashed before the transaction opens: hashing takes a tenth of a
        # second or more, and SQLite's write lock holds every other writer.
        password_hash = make_password(password)
    with transaction.atomic():
        user = User.objects.create_user(
            email, None, password_hash=password_hash, state=state, **fields
        )
        if not password:
            mail.send_later(_send_invitation, user_id=user.pk)
    return user


def _refuse_self_lockout(*, user: User, actor: Any, state: str) -> None:
    """Nobody takes their own account out of use: they would be locked out at once."""
    if state == User.State.ACTIVE or actor is None or user.pk != actor.pk:
        return
    if state == User.State.BLOCKED:
        raise ValidationError("You can't block your own account.", code="self")
    raise ValidationError(
        {"state": f"You can't make your own account {state}: you couldn't sign in again."},
        code="self",
    )


def block_user(*, user: User, actor: Any) -> User:
    """Block an account: it is signed out and can't sign in again."""
    _refuse_self_lockout(user=user, actor=actor, state=User.State.BLOCKED)
    return _set_state(user=user, state=User.State.BLOCKED)


def unblock_user(*, user: User) -> User:
    """Let a blocked (or pending) account sign in again."""
    return _set_state(user=user, state=User.State.ACTIVE)


@transaction.atomic
def _set_state(*, user: User, state: str) -> User:
    current = User.objects.select_for_update().get(pk=user.pk)
    if current.state != state:
        current.state = state
        current.save(update_fields=["state"])
        sight.changed(people=[current.pk])
    user.state, user.version = current.state, current.version
    return current


def update_user(
    *,
    user: User,
    actor: Any,
    expected_version: int | None = None,
    password: str | None = None,
    **changes: Any,
) -> User:
    """Change an account's details, state or password (the management API).

    A change of state is a block or an unblock, with their rules.
    """
    password_hash = None
    if password:
        # Checked against the person as the change leaves them (a new name
        # as the password is refused), and hashed before the transaction.
        changed = copy.copy(user)
        for name, value in changes.items():
            setattr(changed, name, value)
        check_password_rules(password, user=changed)
        password_hash = make_password(password)
    return _update_user(
        user=user,
        actor=actor,
        expected_version=expected_version,
        password_hash=password_hash,
        changes=changes,
    )


@transaction.atomic
def _update_user(
    *,
    user: User,
    actor: Any,
    expected_version: int | None,
    password_hash: str | None,
    changes: dict[str, Any],
) -> User:
    current = User.objects.select_for_update().get(pk=user.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentChangeError(current)
    _refuse_self_lockout(user=current, actor=actor, state=changes.get("state", current.state))
    before = _sight_of(current)
    for name, value in changes.items():
        current._meta.get_field(name)
        setattr(current, name, value)
    if password_hash:
        current.password = password_hash
    current.full_clean(exclude=["password"])
    current.save()
    if _sight_of(current) != before:
        sight.changed(people=[current.pk])
    return current


@transaction.atomic
def save_user(*, user: User, actor: Any) -> User:
    """Save an account edited in the Django admin, whatever it changed.

    Blocking, unblocking, promoting or demoting an administrator changes
    what the person sees, so the funnel hears of it.
    """
    previous = User.objects.select_for_update().filter(pk=user.pk).first()
    if previous is not None and previous.state != user.state:
        _refuse_self_lockout(user=user, actor=actor, state=user.state)
    user.save()
    if previous is None or _sight_of(previous) != _sight_of(user):
        sight.changed(people=[user.pk])
    return user


@transaction.atomic
def delete_user(*, user: User, actor: Any, own: bool = False) -> None:
    """Close an account; its memberships and subscriptions go with it.

    Someone else's account (own=False) is never the actor's; one's own
    (own=True, from the profile) is only the actor's. The last active
    administrator's account is never closed: nobody would have the console.
    """
    if own:
        if actor is None or user.pk != actor.pk:
            raise PermissionDenied("Only the account's owner closes it from the profile.")
    elif actor is not None and user.pk == actor.pk:
        raise ValidationError("You can't delete your own account.", code="self")
    current = User.objects.select_for_update().filter(pk=user.pk).first()
    if current is None:
        return
    # Two administrators deleting each other at once: the lock on every
    # administrator's row makes the second see the first one's deletion.
    if (
        current.is_superuser
        and current.state == User.State.ACTIVE
        and not [
            other
            for other in User.objects.administrators().select_for_update().order_by("pk")
            if other.pk != current.pk
        ]
    ):
        raise ValidationError(
            f"{current.email} is the last administrator: make someone else an administrator "
            "before deleting this account.",
            code="last_administrator",
        )
    User.objects.filter(pk=current.pk).delete()
    sight.changed(people=[current.pk])


def lift_signin_pause(*, user: User) -> bool:
    """Let an account whose sign-in is paused after failed attempts try again now.

    False, and nothing forgotten, when it isn't paused: a few failures
    below the limit are no pause, and keep counting.
    """
    if throttle.signin_pause_of(user.email) is None:
        return False
    throttle.forget_failures(user.email)
    return True


def _sight_of(user: User) -> tuple[Any, ...]:
    return tuple(getattr(user, name) for name in SIGHT_FIELDS)
