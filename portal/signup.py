"""Confirmation links for sign-up: signed, single use, and expiring.

A link carries the account's user ID and a signature, made with Django's
TimestampSigner (so it expires after PORTICO_SIGNUP_LINK_DAYS), over the
ID and a digest of the account as it stood when the link was made: its
state, its version and its password hash. Confirming saves the account, which
moves its version, so a link works once; so does any other change to the
account in between (an administrator's edit, a new password).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import salted_hmac

from portal.models import User

SALT = "portico.signup.confirm"


def link_life() -> timedelta:
    return timedelta(days=settings.PORTICO_SIGNUP_LINK_DAYS)


def _account_digest(user: User) -> str:
    message = "\n".join([user.api_id, user.state, str(user.version), user.password])
    return salted_hmac(f"{SALT}.account", message, algorithm="sha256").hexdigest()[:32]


def confirmation_token(*, user: User) -> str:
    """A token that confirms the account's email once, within link_life()."""
    return signing.TimestampSigner(salt=SALT).sign_object([user.api_id, _account_digest(user)])


def confirmation_url(*, user: User) -> str:
    path = reverse("portal:signup_confirm", kwargs={"token": confirmation_token(user=user)})
    return settings.PORTICO_BASE_URL + path


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation link is worth: "ok" with the account, or "invalid"
    (not a link Portico made), "expired", or "spent" (used, or the account
    changed since)."""

    outcome: str
    user: User | None = None


def read_confirmation_token(token: str) -> Confirmation:
    signer = signing.TimestampSigner(salt=SALT)
    try:
        api_id, digest = signer.unsign_object(token, max_age=link_life())
    except signing.SignatureExpired:
        return Confirmation("expired")
    except (signing.BadSignature, ValueError, TypeError):
        return Confirmation("invalid")
    if not isinstance(api_id, str) or not isinstance(digest, str):
        return Confirmation("invalid")
    user = User.objects.filter(api_id=api_id).first()
    if user is None:
        return Confirmation("invalid")
    if user.state != User.State.PENDING or not hmac.compare_digest(digest, _account_digest(user)):
        return Confirmation("spent")
    return Confirmation("ok", user)
