"""Tokens that speak for one account, in Azure API Management's user-token format:
"<userId>&<expiry as yyyyMMddHHmm, UTC>&<base64 HMAC-SHA512>".

Two kinds, each signed with a key derived from the server's SECRET_KEY and
the kind's own salt, so one kind never passes for the other:

- a shared access token (the management API's users/{userId}/token): it
  signs the user ID and the expiry with the "primary" or "secondary" key.
  Portico accepts it nowhere yet; check_shared_access_token is how a
  future reader would check one. Changing SECRET_KEY voids every one.
- a sign-in link (users/{userId}/generateSsoUrl): it also signs the account's
  state and the moment of its last sign-in, so it works once: signing in, by
  the link or otherwise, moves last_login and spends it. A link for an
  account that is blocked, or has the console or the Django admin, is refused.
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


def _signature(salt: str, message: str) -> str:
    digest = salted_hmac(f"portico.user-token.{salt}", message, algorithm="sha512").digest()
    return base64.b64encode(digest).decode("ascii")


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


def _sign_in_message(user: User, expiry_text: str) -> str:
    last_login = user.last_login.isoformat() if user.last_login else ""
    return f"{user.api_id}\n{expiry_text}\n{last_login}"


def sign_in_token(*, user: User) -> str:
    """A token that signs the account in once, within SIGN_IN_LINK_LIFE."""
    # Rounded up to the next minute: the format has no seconds.
    expiry = (timezone.now() + SIGN_IN_LINK_LIFE + timedelta(minutes=1)).replace(
        second=0, microsecond=0
    )
    expiry_text = _expiry_text(expiry)
    signature = _signature("sign-in", _sign_in_message(user, expiry_text))
    return f"{user.api_id}&{expiry_text}&{signature}"


def sign_in_url(*, user: User) -> str:
    """The absolute address of a one-time sign-in link for the account."""
    query = urlencode({"token": sign_in_token(user=user)})
    return f"{settings.PORTICO_BASE_URL}{reverse('portal:signin_sso')}?{query}"


@dataclass(frozen=True)
class SignIn:
    """What a sign-in link is worth: a user, or why not (malformed, expired, spent, refused)."""

    outcome: str
    user: User | None = None


def read_sign_in_token(token: str) -> SignIn:
    parsed = _parse(token)
    user = None if parsed is None else User.objects.filter(api_id=parsed[0]).first()
    if parsed is None or user is None:
        return SignIn("malformed")
    _, expiry, signature = parsed
    if expiry <= timezone.now():
        return SignIn("expired")
    expected = _signature("sign-in", _sign_in_message(user, _expiry_text(expiry)))
    if not hmac.compare_digest(signature, expected):
        # Spent by a sign-in since, changed by a block, or never ours.
        return SignIn("spent")
    if not user.is_active or user.is_staff or user.is_superuser:
        return SignIn("refused", user)
    return SignIn("ok", user)
