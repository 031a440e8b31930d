"""Writes to the management API's personal access tokens."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from audit.services import Ref, record, record_many, snapshot
from management_api.models import TOKEN_PREFIX, AccessToken, hash_token
from portal import services as user_services

logger = logging.getLogger(__name__)


# What the activity record keeps of a token: never the token, nor its hash or prefix.
RECORDED_FIELDS = ("name", "expires_at")


def token_ref(token: AccessToken) -> Ref:
    """A token as the activity record names it: by its name (the same as the actor's)."""
    return Ref("token", str(token.pk), token.name)


@transaction.atomic
def issue_token(*, user: Any, name: str, days: int) -> tuple[AccessToken, str]:
    """Create a token; the clear text is returned once and never stored."""
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AccessToken.objects.create(
        user=user,
        name=name,
        prefix=clear[:12],
        token_hash=hash_token(clear),
        expires_at=timezone.now() + timedelta(days=days),
    )
    record(
        "token.create",
        token_ref(token),
        related=user_services.user_ref(user),
        after=snapshot(token, RECORDED_FIELDS),
    )
    return token, clear


@transaction.atomic
def revoke_token(*, token: AccessToken) -> AccessToken:
    """Make a token fail from now on; revoking it again keeps the first time."""
    revoked = AccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db(fields=["revoked_at"])
    if revoked:
        record(
            "token.revoke",
            token_ref(token),
            related=user_services.user_ref(token.user),
            before=snapshot(token, RECORDED_FIELDS),
            after={"revoked_at": token.revoked_at},
        )
    return token


def on_user_deleting(*, user: Any, user_ref: Ref, **kwargs: Any) -> None:
    """An account's deletion takes its tokens: token.revoke for each that still worked,
    caused by the user.delete record (portal.services.delete_user sends this)."""
    usable = AccessToken.objects.usable().filter(user_id=user.pk).order_by("pk")
    record_many("token.revoke", [(token_ref(token), user_ref) for token in usable])


def record_use(*, token: AccessToken) -> None:
    """Note when a token was last used, at most once a minute, without a race on the row.

    A note, not the request's purpose: when the database refuses writes (a
    full disk), the call the token authenticates still goes ahead, so reads
    keep working; the note is tried again on the next call.
    """
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        try:
            with transaction.atomic():
                AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        except DatabaseError:
            logger.warning(
                "Could not note the use of token %s; the database refused the write", token.pk
            )
