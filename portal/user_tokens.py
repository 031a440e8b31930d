"""Tokens that speak for one account, in Azure API Management's user-token format:
"<userId>&<expiry as yyyyMMddHHmm, UTC>&<base64 HMAC-SHA512>".

Two kinds, each signed with a key derived from the server's SECRET_KEY and
the kind's own salt, so one kind never passes for the other:

- a shared access token (the management API's users/{userId}/token): it
  signs the user ID and the expiry with the "primary" or "secondary" key.
  Portico accepts it nowhere yet; check_shared_access_token is how a
  future reader would check one. Changing SECRET_KEY voids every one.
- a sign-in link (users/{userId}/generateSsoUrl): its signature is two
  halves. The first signs the user ID and the expiry, so a link Portico
  made is told from any other without reading the account. The second also
  signs the account as it stood when the link was made: its state, its
  version (every saved change moves it: a block, an unblock, an edit), its
  password hash and the moment of its last sign-in. So a link works once
  (signing in, by the link or otherwise, moves last_login and spends it),
  and a block, an unblock or a new password spends every outstanding link.
  A link for an account that is blocked or pending, or has the console or
  the Django admin, is refused.
"""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.http import urlencode

from portal.models import User

EXPIRY_FORMAT = "%Y%m%d%H%M"
KEY_TYPES = ("primary", "secondary")
# Azure's limit on a user token's life.
MAX_TOKEN_LIFE = timedelta(days=30)
SIGN_IN_LINK_LIFE = timedelta(minutes=15)


def _digest(salt: str, message: str) -> bytes:
    return salted_hmac(f"portico.user-token.{salt}", message, algorithm="sha512").digest()


def _signature(salt: str, message: str) -> str:
    return base64.b64encode(_digest(salt, message)).decode("ascii")


def _expiry_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(EXPIRY_FORMAT)


def _parse(token: str) -> tuple[str, datetime, str] | None:
    """The user ID, expiry and signature of a token, or None when it has not their form."""
    parts = token.split("&")
    if len(parts) != 3 or not all(parts):
        return None
    api_id, expiry, signature = parts
    if len(expiry) != len("yyyyMMddHHmm") or not expiry.isascii() or not expiry.isdigit():
        return None
    try:
        moment = datetime.strptime(expiry, EXPIRY_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return api_id, moment, signature


# --- Shared access tokens -----------------------------------------------------------


def shared_access_token(*, user: User, key_type: str, expiry: datetime) -> str:
    """A token for the account until expiry (to the minute), signed with the key type's key."""
    if key_type not in KEY_TYPES:
        raise ValueError(f"key_type is one of {KEY_TYPES}")
    expiry_text = _expiry_text(expiry)
    signature = _signature(key_type, f"{user.api_id}\n{expiry_text}")
    return f"{user.api_id}&{expiry_text}&{signature}"


def check_shared_access_token(token: str) -> User | None:
    """The active account a shared access token speaks for, if it is genuine and not expired."""
    parsed = _parse(token)
    if parsed is None:
        return None
    api_id, expiry, signature = parsed
    if expiry <= timezone.now():
        return None
    message = f"{api_id}\n{_expiry_text(expiry)}"
    if not any(
        hmac.compare_digest(signature, _signature(key_type, message)) for key_type in KEY_TYPES
    ):
        return None
    return User.objects.active().filter(api_id=api_id).first()


# --- Sign-in links ------------------------------------------------------------------


# Each half of a sign-in link's signature: 32 bytes of an HMAC-SHA512
# (RFC 4868's truncation), 64 bytes and 88 base64 characters in all.
HALF = 32


def _link_half(api_id: str, expiry_text: str) -> bytes:
    return _digest("sign-in", f"{api_id}\n{expiry_text}")[:HALF]


def _account_half(user: User, expiry_text: str) -> bytes:
    last_login = user.last_login.isoformat() if user.last_login else ""
    message = "\n".join(
        [user.api_id, expiry_text, user.state, str(user.version), user.password, last_login]
    )
    return _digest("sign-in.account", message)[:HALF]


def sign_in_token(*, user: User) -> str:
    """A token that signs the account in once, within SIGN_IN_LINK_LIFE."""
    # Rounded up to the next minute: the format has no seconds.
    expiry = (timezone.now() + SIGN_IN_LINK_LIFE + timedelta(minutes=1)).replace(
        second=0, microsecond=0
    )
    expiry_text = _expiry_text(expiry)
    digest = _link_half(user.api_id, expiry_text) + _account_half(user, expiry_text)
    signature = base64.b64encode(digest).decode("ascii")
    return f"{user.api_id}&{expiry_text}&{signature}"


def sign_in_url(*, user: User) -> str:
    """The absolute address of a one-time sign-in link for the account."""
    query = urlencode({"token": sign_in_token(user=user)})
    return f"{settings.PORTICO_BASE_URL}{reverse('portal:signin_sso')}?{query}"


@dataclass(frozen=True)
class SignIn:
    """What a sign-in link is worth: a user, or why not.

    "invalid": not a link Portico made (malformed, forged, or its account is
    gone); the rest are links Portico made: "expired", "refused" (the account
    may not use one now), "spent" (the account signed in or changed since).
    """

    outcome: str
    user: User | None = None


def _decode(signature: str) -> bytes:
    try:
        return base64.b64decode(signature.encode("ascii"), validate=True)
    except ValueError:
        return b""


def read_sign_in_token(token: str) -> SignIn:
    """What the token is worth. Nothing about the account is read, and no
    answer differs, until the first half of the signature checks out."""
    parsed = _parse(token)
    if parsed is None:
        return SignIn("invalid")
    api_id, expiry, signature = parsed
    expiry_text = _expiry_text(expiry)
    digest = _decode(signature)
    made_here = hmac.compare_digest(digest[:HALF], _link_half(api_id, expiry_text))
    if not made_here or len(digest) != 2 * HALF:
        return SignIn("invalid")
    user = User.objects.filter(api_id=api_id).first()
    if user is None:
        return SignIn("invalid")
    if expiry <= timezone.now():
        return SignIn("expired")
    if not user.is_active or user.is_staff or user.is_superuser:
        return SignIn("refused", user)
    if not hmac.compare_digest(digest[HALF:], _account_half(user, expiry_text)):
        return SignIn("spent")
    return SignIn("ok", user)
