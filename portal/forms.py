from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError


class SignInForm(AuthenticationForm):
    """Email and password; tells a blocked or pending user why they can't sign in."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That email and password don't match an account. Check both and try again."
        ),
        "blocked": (
            "This account is blocked, so it can't sign in. Ask the portal's "
            "administrators to unblock it."
        ),
        "pending": (
            "This account is waiting for confirmation and can't sign in yet. "
            "Follow the link in the confirmation email, or ask the portal's administrators."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"
        self.fields["username"].widget = forms.EmailInput(
            attrs={"autofocus": True, "autocomplete": "email", "maxlength": 254}
        )

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError as error:
            if error.code != "invalid_login":
                raise
            # Django's backends refuse inactive accounts as if the password
            # were wrong. Say why, but only to someone who knows the password,
            # so the message never reveals that an address has an account.
            user = self._account_refused_for_state()
            if user is None:
                raise
            raise ValidationError(self.error_messages[user.state], code=user.state) from error

    def _account_refused_for_state(self) -> Any:
        email = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(email)
        except user_model.DoesNotExist:
            return None
        if user.state == user.State.ACTIVE or not user.check_password(password):
            return None
        return user
