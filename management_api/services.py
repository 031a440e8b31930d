"""Writes to the management API's personal access tokens."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from management_api.models import TOKEN_PREFIX, AccessToken, hash_token

logger = logging.getLogger(__name__)


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
    return token, clear


def revoke_token(*, token: AccessToken) -> AccessToken:
    """Make a token fail from now on; revoking it again keeps the first time."""
    AccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db(fields=["revoked_at"])
    return token


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
