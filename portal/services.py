"""Writes to user accounts that have rules or side effects."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from portal.models import User
from products import services as product_services


def set_password_url(user: User) -> str:
    """An absolute, single-use link where the person chooses a password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.PORTICO_BASE_URL + reverse(
        "portal:password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )


def _send_invitation(*, user_id: int) -> None:
    user = User.objects.get(pk=user_id)
    context = {"user": user, "url": set_password_url(user), "base_url": settings.PORTICO_BASE_URL}
    send_mail(
        subject="Your Portico developer account",
        message=render_to_string("portal/email/invitation.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def create_user(
    *,
    email: str,
    first_name: str,
    last_name: str,
    password: str | None,
    note: str = "",
) -> User:
    """Create an active developer; with no password, email a link to set one."""
    user = User.objects.create_user(
        email, password, first_name=first_name, last_name=last_name, note=note
    )
    if not password:
        transaction.on_commit(partial(_send_invitation, user_id=user.pk), robust=True)
    return user


def block_user(*, user: User, actor: Any) -> User:
    """Block an account: it is signed out and can't sign in again."""
    if user.pk == actor.pk:
        raise ValidationError("You can't block your own account.", code="self")
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
        # Blocking and unblocking change what the person sees.
        product_services.reconcile_access(owner_ids=[current.pk])
    user.state, user.version = current.state, current.version
    return current
