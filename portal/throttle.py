"""Sign-in throttling (django-axes, configured here), password-reset and sign-up limits.

After PORTICO_SIGNIN_FAILURE_LIMIT failed sign-ins for one account, or from
one client address, signing in that way is paused for
PORTICO_SIGNIN_PAUSE_MINUTES; every failed try during a pause starts it
again. A paused attempt is refused before the password is hashed, so a
flood of them costs little. The portal, the console and the Django admin
share one sign-in backend, so one count covers them all.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import caches
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from audit.context import client_address

# axes keeps usernames in a 255-character column.
MAX_USERNAME = 255


def account_key(email: str) -> str:
    """An email as the throttle counts it: folded as sign-in folds it, cut to axes' column."""
    return email.strip().lower()[:MAX_USERNAME]


def attempted_email(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The account an attempt was for, folded as sign-in folds it, so Bob@ and bob@ count once."""
    raw = (credentials or {}).get("username")
    if raw is None:
        raw = request.POST.get("username", "")
    return account_key(str(raw))


def pause() -> timedelta:
    return timedelta(minutes=settings.PORTICO_SIGNIN_PAUSE_MINUTES)


def paused_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The page a paused sign-in gets: what happened, until when, and what to do."""
    until = timezone.now() + pause()
    response = render(
        request,
        "registration/signin_paused.html",
        {
            "until": until,
            "minutes": settings.PORTICO_SIGNIN_PAUSE_MINUTES,
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "admin_site": request.path.startswith("/admin/"),
        },
        status=429,
    )
    response["Retry-After"] = str(int(pause().total_seconds()))
    return response


def signin_pause_of(email: str) -> tuple[int, datetime] | None:
    """If sign-in to this account is paused: the failures counted and when the pause ends."""
    recent = AccessAttempt.objects.filter(
        username=account_key(email),
        attempt_time__gte=timezone.now() - pause(),
    ).aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    if not recent["failures"] or recent["failures"] < settings.AXES_FAILURE_LIMIT:
        return None
    return recent["failures"], recent["last"] + pause()


def _digest(text: str) -> str:
    # Any text a person typed becomes a key every cache backend accepts.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def forget_failures(email: str) -> int:
    """Forget an account's failed sign-ins, wherever they came from; the number forgotten.

    Only that account's: failures for other accounts from the same address
    still count towards that address's pause.
    """
    deleted, _ = AccessAttempt.objects.filter(username=account_key(email)).delete()
    return deleted


def forget_failures_on_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A successful sign-in forgets that account's failures (connected in PortalConfig.ready)."""
    forget_failures(user.email)


def reset_allowed(request: HttpRequest, email: str) -> bool:
    """Count a password-reset request; False once an address or an account asked too often.

    Limits per hour: PORTICO_RESET_LIMIT_PER_ADDRESS from one client address,
    PORTICO_RESET_LIMIT_PER_ACCOUNT for one email address. Counted in the
    "shared" cache, which every node and process reads alike.
    """
    return _hourly_allowed(
        "reset",
        request,
        email,
        per_address=settings.PORTICO_RESET_LIMIT_PER_ADDRESS,
        per_email=settings.PORTICO_RESET_LIMIT_PER_ACCOUNT,
    )


def signup_allowed(request: HttpRequest, email: str) -> bool:
    """Count a sign-up; False once an address or an email asked too often this hour.

    Limits: PORTICO_SIGNUP_LIMIT_PER_ADDRESS and PORTICO_SIGNUP_LIMIT_PER_ACCOUNT,
    counted whether or not the email has an account, so the answer tells nothing.
    """
    return _hourly_allowed(
        "signup",
        request,
        email,
        per_address=settings.PORTICO_SIGNUP_LIMIT_PER_ADDRESS,
        per_email=settings.PORTICO_SIGNUP_LIMIT_PER_ACCOUNT,
    )


def _hourly_allowed(
    kind: str, request: HttpRequest, email: str, *, per_address: int, per_email: int
) -> bool:
    # Redis counts in one step, and so does the database cache (portal/cache.py).
    cache = caches["shared"]
    hour = 3600
    counts = [
        (f"{kind}:address:{client_address(request)}", per_address),
        (f"{kind}:email:{_digest(email.strip().lower())}", per_email),
    ]
    allowed = True
    for key, limit in counts:
        cache.add(key, 0, timeout=hour)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=hour)
            count = 1
        allowed = allowed and count <= limit
    return allowed
