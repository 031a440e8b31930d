from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError

from portal.models import PortalSettings


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
            "Ask the portal's administrators to activate it."
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
        # Every refusal runs the password hasher here exactly once, so the
        # time a refusal takes doesn't tell which accounts are blocked.
        try:
            user = user_model._default_manager.get_by_natural_key(email)
        except user_model.DoesNotExist:
            user_model().set_password(password)
            return None
        matches = user.check_password(password)
        if user.state == user.State.ACTIVE or not matches:
            return None
        return user


class PasswordResetByEmailForm(PasswordResetForm):
    """Django's reset form, for a user model whose `is_active` is derived from state.

    Invited people who never chose a password may use it too.
    """

    def get_users(self, email: str) -> Iterator[Any]:
        user_model = get_user_model()
        users = user_model._default_manager.filter(
            email__iexact=email, state=user_model.State.ACTIVE
        )
        return iter(users)


class UserCreateForm(forms.ModelForm):
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not all digits, not a common password.",
    )
    must_set_password = forms.BooleanField(
        required=False,
        label="Must set a password at first sign-in",
        help_text="Portico emails the person a link to choose their own password.",
    )

    class Meta:
        model = get_user_model()
        fields = ["email", "first_name", "last_name", "note"]
        widgets = {
            "email": forms.EmailInput(attrs={"autofocus": True}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if get_user_model()._default_manager.filter(email__iexact=email).exists():
            raise ValidationError(
                "An account with this email address already exists.", code="duplicate"
            )
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if cleaned.get("must_set_password"):
            if password:
                self.add_error(
                    "password",
                    "Leave the password empty when the person sets it at first sign-in.",
                )
        elif not password:
            self.add_error(
                "password", "Enter a password, or tick “Must set a password at first sign-in”."
            )
        elif "email" in cleaned:
            candidate = get_user_model()(
                email=cleaned["email"],
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned


class PortalSettingsForm(forms.ModelForm):
    class Meta:
        model = PortalSettings
        fields = ["notification_email", "on_access_loss"]
        widgets = {"on_access_loss": forms.RadioSelect}


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "(empty)"
    return str(value)


def reopen_after_conflict[FormT: forms.ModelForm](
    form_class: type[FormT], data: Any, current: Any
) -> tuple[FormT, list[tuple[str, str, str]]]:
    """After a save refused because someone else saved first.

    Returns the form as it was typed, now at the version just read (so the
    next Save, made knowingly, wins), and each field's saved value beside
    the typed one.
    """
    fields = form_class._meta.fields or []
    theirs = {name: getattr(current, name) for name in fields}
    data = data.copy()
    data["version"] = str(current.version)
    form = form_class(data, instance=current)
    form.is_valid()
    rows = [
        (str(form[name].label), _shown(theirs[name]), _shown(form[name].value())) for name in fields
    ]
    return form, rows
