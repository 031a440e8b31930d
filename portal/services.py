"""Writes to user accounts that have rules or side effects."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from audit import context as audit_context
from audit.models import Record
from audit.services import Ref, record, ref, snapshot
from audit.services import changes as value_changes
from portal import activation, approvals, mail, sight, signup, throttle
from portal.entities import ConcurrentChangeError, update_entity
from portal.models import SignUpSettings, User, domain_lines

# What decides which products an account sees, besides its groups.
SIGHT_FIELDS = ("state", "is_superuser")

# What the activity record keeps of an account (never its password): all
# of it when it is created or deleted, and then whatever of it changes.
RECORDED_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "note",
    "state",
    "is_staff",
    "is_superuser",
    "email_confirmed_at",
)
CREATED_FIELDS = (*RECORDED_FIELDS, "api_id", "signed_up")
# A change of state is recorded as what it does; to pending it is a plain update.
STATE_ACTIONS = {User.State.BLOCKED: "user.block", User.State.ACTIVE: "user.unblock"}
SIGNUP_SETTINGS = Ref("settings", "signup", "Sign-up settings")
SIGNUP_SETTINGS_FIELDS = ("enabled", "approval", "allowed_domains", "refused_domains", "terms")

# Sent by delete_user and reject_signup inside their transaction, before the
# account goes, with user= and user_ref= (the account as the record names
# it), inside caused_by(the user.delete record). The apps above portal whose
# rows the deletion takes (memberships, subscriptions, tokens) record their
# removal here: portal knows none of them (the dependency order).
user_deleting = Signal()


def user_ref(user: User) -> Ref:
    """An account as the activity record names it: by its email, as it is now."""
    return ref(user, kind="user", label=user.email)


def _record_created(user: User) -> Record:
    return record("user.create", user_ref(user), after=snapshot(user, CREATED_FIELDS))


def _record_changes(before: dict[str, Any], user: User, *, password: bool = False) -> int | None:
    """Record what changed of an account since `before` (a snapshot of RECORDED_FIELDS).

    Its state is a user.block or user.unblock, administrator rights a
    user.promote or user.demote, anything else a user.update, and a new
    password a user.password without values. Returns the record that
    changed what the person sees (the last of state and role), if any:
    what follows from the change (the access rule, the group rules)
    follows from it.
    """
    old, new = value_changes(before, snapshot(user, RECORDED_FIELDS))
    target = user_ref(user)
    cause = None
    state_action = STATE_ACTIONS.get(new.get("state", ""))
    details = [n for n in new if n != "is_superuser" and not (n == "state" and state_action)]
    if details:
        written = record(
            "user.update",
            target,
            before={n: old[n] for n in details},
            after={n: new[n] for n in details},
        )
        if "state" in details:
            cause = written.pk
    if state_action:
        cause = record(
            state_action, target, before={"state": old["state"]}, after={"state": new["state"]}
        ).pk
    if "is_superuser" in new:
        cause = record(
            "user.promote" if new["is_superuser"] else "user.demote",
            target,
            before={"is_superuser": old["is_superuser"]},
            after={"is_superuser": new["is_superuser"]},
        ).pk
    if password:
        record("user.password", target)
    return cause


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
        created = _record_created(user)
        if not password_hash:
            mail.send_later(_send_account_created, user_id=user.pk)
        if user.state == User.State.ACTIVE:
            with audit_context.caused_by(created.pk):
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
        before = snapshot(current, RECORDED_FIELDS)
        previous = current.state
        current.state = state
        current.save(update_fields=["state"])
        with audit_context.caused_by(_record_changes(before, current)):
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
    recorded = snapshot(current, RECORDED_FIELDS)
    previous_state = current.state
    for name, value in changes.items():
        current._meta.get_field(name)
        setattr(current, name, value)
    if password_hash:
        current.password = password_hash
    current.full_clean(exclude=["password"])
    current.save()
    with audit_context.caused_by(_record_changes(recorded, current, password=bool(password_hash))):
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
    if previous is None:
        cause: int | None = _record_created(user).pk
    else:
        cause = _record_changes(
            snapshot(previous, RECORDED_FIELDS),
            user,
            password=previous.password != user.password,
        )
    with audit_context.caused_by(cause):
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
    _delete(current)


def _delete(user: User, *, after: dict[str, Any] | None = None) -> None:
    """Delete an account, recorded with all it was and, as its effects, all it takes.

    Inside the caller's transaction, after its checks: user.delete, then
    (user_deleting) each membership, subscription and token that goes with it.
    """
    target = user_ref(user)
    deleted = record("user.delete", target, before=snapshot(user, RECORDED_FIELDS), after=after)
    with audit_context.caused_by(deleted.pk):
        user_deleting.send(sender=delete_user, user=user, user_ref=target)
        User.objects.filter(pk=user.pk).delete()
        sight.changed(people=[user.pk])


@transaction.atomic
def set_permissions(*, user: User, permissions: Iterable[Permission]) -> None:
    """Give an account exactly these of Django's permissions (the Django admin's user page).

    What support staff may do in the Django admin is theirs to hold, so a
    change is recorded (user.update, the permissions by name) and no change
    is not.
    """
    wanted = list(permissions)
    current = User.objects.select_for_update().get(pk=user.pk)
    before = _permission_names(current.user_permissions.values_list("pk", flat=True))
    after = _permission_names([permission.pk for permission in wanted])
    if before == after:
        return
    current.user_permissions.set(wanted)
    record(
        "user.update",
        user_ref(current),
        before={"permissions": before},
        after={"permissions": after},
    )


def _permission_names(pks: Iterable[int]) -> list[str]:
    """Permissions as "app.codename", sorted, read in one query."""
    named = Permission.objects.filter(pk__in=list(pks)).values_list(
        "content_type__app_label", "codename"
    )
    return sorted(f"{app}.{codename}" for app, codename in named)


@transaction.atomic
def lift_signin_pause(*, user: User) -> bool:
    """Let an account whose sign-in is paused after failed attempts try again now.

    False, and nothing forgotten, when it isn't paused: a few failures
    below the limit are no pause, and keep counting. Lifting a pause is
    recorded (user.unpause): it isn't a change to the account, but it lets
    sign-in attempts start again, and who did that matters.
    """
    paused = throttle.signin_pause_of(user.email)
    if paused is None:
        return False
    throttle.forget_failures(user.email)
    failures, until = paused
    record("user.unpause", user_ref(user), before={"failures": failures, "paused_until": until})
    return True


def set_password(*, user: User, password: str | None) -> User:
    """Give an account a new password (None: no usable password, as Django's admin allows).

    The caller's form checked the password. Recorded as user.password,
    without any value.
    """
    # Hashed before the transaction opens, as create_user does.
    current = _save_password(user=user, password_hash=make_password(password))
    if password is not None:
        password_validation.password_changed(password, current)
    return current


@transaction.atomic
def _save_password(*, user: User, password_hash: str) -> User:
    current = User.objects.select_for_update().get(pk=user.pk)
    current.password = password_hash
    current.save(update_fields=["password"])
    record("user.password", user_ref(current))
    user.password, user.version = current.password, current.version
    return current


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
                _record_created(user)
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
    before = snapshot(current, RECORDED_FIELDS)
    current.email_confirmed_at = timezone.now()
    if not SignUpSettings.load().approval:
        current.state = User.State.ACTIVE
    current.save(update_fields=["email_confirmed_at", "state"])
    # One update, whether or not the account became active: confirming is
    # one step of the person's, not an administrator's unblocking.
    old, new = value_changes(before, snapshot(current, RECORDED_FIELDS))
    confirmed = record("user.update", user_ref(current), before=old, after=new)
    if current.is_active:
        with audit_context.caused_by(confirmed.pk):
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
    approved = record(
        "user.approve",
        user_ref(current),
        before={"state": User.State.PENDING.value},
        after={"state": current.state},
    )
    with audit_context.caused_by(approved.pk):
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
    # Recorded as a deletion (the account is gone), with the reason the person was given.
    _delete(current, after={"rejected": reason})
    mail.send_later(_send_signup_rejected, email=email, name=name, reason=reason)
    return True


# The longest reason an administrator may give when turning something down.
REASON_MAX = 1000


def update_signup_settings(*, expected_version: int | None, **changes: Any) -> SignUpSettings:
    """Change who may sign up; refused if another administrator saved since expected_version."""
    for name in ("allowed_domains", "refused_domains"):
        if name in changes:
            changes[name] = "\n".join(sorted(domain_lines(changes[name])))
    with transaction.atomic():
        current = SignUpSettings.load()
        before = _signup_values(SignUpSettings.objects.select_for_update().get(pk=current.pk))
        updated = update_entity(current, expected_version=expected_version, changes=changes)
        old, new = value_changes(before, _signup_values(updated))
        if new:
            record("settings.signup", SIGNUP_SETTINGS, before=old, after=new)
    return updated


def _signup_values(current: SignUpSettings) -> dict[str, Any]:
    """The sign-up settings as the record keeps them: the terms of use by their
    length and digest, as a page's body, not their text."""
    values = snapshot(current, SIGNUP_SETTINGS_FIELDS)
    terms = values.pop("terms")
    values["terms"] = {
        "characters": len(terms),
        "sha256": hashlib.sha256(terms.encode()).hexdigest(),
    }
    return values
