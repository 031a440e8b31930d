"""Writes to user accounts that have rules or side effects."""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from portal import activation, approvals, mail, sight, signup, throttle
from portal.entities import ConcurrentChangeError, update_entity
from portal.models import SignUpSettings, User, domain_lines

# What decides which products an account sees, besides its groups.
SIGHT_FIELDS = ("state", "is_superuser")


def set_password_url(user: User) -> str:
    """An absolute, single-use link where the person chooses a password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.PORTICO_BASE_URL + reverse(
        "portal:password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )


def _send_account_created(*, user_id: int) -> None:
    user = User.objects.get(pk=user_id)
    context = {
        "user": user,
        "url": set_password_url(user),
        "sign_in_url": settings.PORTICO_BASE_URL + reverse("portal:login"),
    }
    mail.send_templated("portal/email/account_created", context, [user.email])


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
    password_hash: str | None = None,
) -> User:
    """Create a developer; with no password, email a link to set one.

    A caller that already checked and hashed the password (outside its own
    transaction) passes password_hash instead.
    """
    fields: dict[str, Any] = {"first_name": first_name, "last_name": last_name, "note": note}
    if api_id:
        fields["api_id"] = api_id
    if password_hash:
        password = None
    if password:
        check_password_rules(password, user=User(email=email, **fields))
        # Hashed before the transaction opens: hashing takes a tenth of a
        # second or more, and SQLite's write lock holds every other writer.
        password_hash = make_password(password)
    with transaction.atomic():
        user = User.objects.create_user(
            email, None, password_hash=password_hash, state=state, **fields
        )
        if not password_hash:
            mail.send_later(_send_account_created, user_id=user.pk)
        if user.state == User.State.ACTIVE:
            activation.activated(user_id=user.pk)
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
    """Let a blocked (or pending) account sign in again.

    Only a pending account's first activation applies the group rules.
    """
    return _set_state(user=user, state=User.State.ACTIVE)


@transaction.atomic
def _set_state(*, user: User, state: str) -> User:
    current = User.objects.select_for_update().get(pk=user.pk)
    if current.state != state:
        previous = current.state
        current.state = state
        current.save(update_fields=["state"])
        sight.changed(people=[current.pk])
        _report_first_activation(previous=previous, user=current)
    user.state, user.version = current.state, current.version
    return current


def _report_first_activation(*, previous: str | None, user: User) -> None:
    """Tell the activation funnel when an account becomes active for the first time.

    Pending (or not there before) to active is an activation; blocked to
    active is not: an administrator may have taken the person out of a
    rule's group on purpose, and unblocking must not put them back.
    """
    if user.state == User.State.ACTIVE and previous in (None, User.State.PENDING):
        activation.activated(user_id=user.pk)


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
    previous_state = current.state
    for name, value in changes.items():
        current._meta.get_field(name)
        setattr(current, name, value)
    if password_hash:
        current.password = password_hash
    current.full_clean(exclude=["password"])
    current.save()
    if _sight_of(current) != before:
        sight.changed(people=[current.pk])
    _report_first_activation(previous=previous_state, user=current)
    return current


@transaction.atomic
def save_user(*, user: User, actor: Any) -> User:
    """Save an account edited in the Django admin, whatever it changed.

    Blocking, unblocking, promoting or demoting an administrator changes
    what the person sees, so the funnel hears of it; a new active account,
    or a pending one made active, is an activation (the rules follow).
    """
    previous = User.objects.select_for_update().filter(pk=user.pk).first()
    if previous is not None and previous.state != user.state:
        _refuse_self_lockout(user=user, actor=actor, state=user.state)
    user.save()
    if previous is None or _sight_of(previous) != _sight_of(user):
        sight.changed(people=[user.pk])
    _report_first_activation(previous=None if previous is None else previous.state, user=user)
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


# --- Sign-up ---------------------------------------------------------------------


class SignUpClosed(Exception):
    """Sign-up is switched off in the console's Settings."""


def _urls() -> dict[str, str]:
    base = settings.PORTICO_BASE_URL
    return {
        "sign_in_url": base + reverse("portal:login"),
        "reset_url": base + reverse("portal:password_reset"),
    }


def _send_signup_confirmation(*, user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None or user.state != User.State.PENDING:
        return
    context = {
        "user": user,
        "url": signup.confirmation_url(user=user),
        "days": settings.PORTICO_SIGNUP_LINK_DAYS,
    }
    mail.send_templated("portal/email/signup_confirm", context, [user.email])


def _send_signup_existing(*, user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    mail.send_templated("portal/email/signup_exists", {"user": user, **_urls()}, [user.email])


def _send_signup_approved(*, user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.is_active:
        return
    mail.send_templated("portal/email/signup_approved", {"user": user, **_urls()}, [user.email])


def sign_up(*, email: str, first_name: str, last_name: str, password: str) -> None:
    """A visitor asks for an account; what happens is told by email only.

    A new address gets a pending account and a confirmation link. An
    address that has an account gets an email saying so (or, if that account
    never confirmed, a new link) and nothing else changes. The password is
    checked and hashed either way, so the time taken tells nothing.
    """
    current = SignUpSettings.load()
    if not current.enabled:
        raise SignUpClosed
    email = User.objects.normalize_email(email).strip()
    refusal = current.domain_refusal(email)
    if refusal:
        raise ValidationError({"email": refusal}, code="domain")
    person = User(email=email, first_name=first_name, last_name=last_name)
    check_password_rules(password, user=person)
    password_hash = make_password(password)
    existing = User.objects.filter(Exact(Lower("email"), email.lower())).first()
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email,
                    None,
                    password_hash=password_hash,
                    first_name=first_name,
                    last_name=last_name,
                    state=User.State.PENDING,
                    signed_up=True,
                )
                mail.send_later(_send_signup_confirmation, user_id=user.pk)
            return
        except IntegrityError:  # the same address signed up a moment ago
            existing = User.objects.filter(Exact(Lower("email"), email.lower())).first()
            if existing is None:
                raise
    # Only a sign-up gets a new link: an account an administrator made
    # pending stays pending until they activate it.
    if (
        existing.state == User.State.PENDING
        and existing.email_confirmed_at is None
        and existing.signed_up
    ):
        mail.send_later(_send_signup_confirmation, user_id=existing.pk)
    else:
        mail.send_later(_send_signup_existing, user_id=existing.pk)


@transaction.atomic
def confirm_signup(*, user: User) -> User:
    """The person followed the emailed link: active now, or waiting for approval.

    Confirming saves the account, which spends the link.
    """
    current = User.objects.select_for_update().get(pk=user.pk)
    if current.state != User.State.PENDING or current.email_confirmed_at is not None:
        raise ValidationError("This account's email is confirmed already.", code="confirmed")
    current.email_confirmed_at = timezone.now()
    if not SignUpSettings.load().approval:
        current.state = User.State.ACTIVE
    current.save(update_fields=["email_confirmed_at", "state"])
    if current.is_active:
        sight.changed(people=[current.pk])
        activation.activated(user_id=current.pk)
    else:
        approvals.announce()
    return current


@transaction.atomic
def approve_signup(*, user: User) -> bool:
    """An administrator lets a confirmed sign-up in; False when it wasn't waiting."""
    current = User.objects.select_for_update().get(pk=user.pk)
    if not current.waiting_for_approval:
        return False
    current.state = User.State.ACTIVE
    current.save(update_fields=["state"])
    sight.changed(people=[current.pk])
    activation.activated(user_id=current.pk)
    mail.send_later(_send_signup_approved, user_id=current.pk)
    user.state, user.version = current.state, current.version
    return True


def _send_signup_rejected(*, email: str, name: str, reason: str) -> None:
    # The account is gone by now: the email is written from what it was.
    context = {"name": name, "reason": reason, "signup_url": _signup_url()}
    mail.send_templated("portal/email/signup_rejected", context, [email])


def _signup_url() -> str:
    return settings.PORTICO_BASE_URL + reverse("portal:signup")


@transaction.atomic
def reject_signup(*, user: User, reason: str) -> bool:
    """Turn down a confirmed sign-up: the account is deleted and the person gets the reason.

    Deleting (rather than blocking) leaves the address free: the person may
    sign up again, and lands in the inbox again. False when the account was
    no longer waiting (approved or deleted meanwhile).
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the person a reason."}, code="required")
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": f"Keep the reason to {REASON_MAX:,} characters."}, code="max_length"
        )
    current = User.objects.select_for_update().filter(pk=user.pk).first()
    if current is None or not current.waiting_for_approval:
        return False
    email, name = current.email, current.display_name
    current.delete()
    mail.send_later(_send_signup_rejected, email=email, name=name, reason=reason)
    return True


# The longest reason an administrator may give when turning something down.
REASON_MAX = 1000


def update_signup_settings(*, expected_version: int | None, **changes: Any) -> SignUpSettings:
    """Change who may sign up; refused if another administrator saved since expected_version."""
    for name in ("allowed_domains", "refused_domains"):
        if name in changes:
            changes[name] = "\n".join(sorted(domain_lines(changes[name])))
    return update_entity(SignUpSettings.load(), expected_version=expected_version, changes=changes)
