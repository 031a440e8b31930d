"""How a person's email and password are checked: once per attempt, whatever the answer."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from portal.models import User


class EmailBackend(ModelBackend):
    """Django's model backend, which also notes why a right password was not enough.

    A blocked or pending account is refused like a wrong password, so the
    refusal reveals nothing; but the sign-in form may tell someone who knows
    the password why they can't come in. The backend notes the refused
    account on the request instead of the form checking the password again:
    each attempt runs the (deliberately slow) hasher exactly once.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            # Hash anyway, so an unknown address takes as long as a wrong password.
            User().set_password(password)
            return None
        if not user.check_password(password):
            return None
        if self.user_can_authenticate(user):
            return user
        if request is not None:
            request.refused_account = user  # type: ignore[attr-defined]
        return None
