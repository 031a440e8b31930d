from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from crispy_forms.bootstrap import AppendedText
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AuthenticationForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit import context as audit_context
from audit.models import Record
from portal import services
from portal.models import SignUpSettings, User
from portal.names import propose_id


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
        # Made pending by an administrator: only they can let it in.
        "pending": (
            "This account is waiting for confirmation and can't sign in yet. "
            "Ask the portal's administrators to activate it."
        ),
        # Signed up, and the emailed link not followed yet.
        "unconfirmed": (
            "You haven't confirmed your email address yet. Follow the link we emailed "
            "you; to get a new link, sign up again with the same address."
        ),
        "unconfirmed_closed": (
            "You haven't confirmed your email address yet. Follow the link we emailed you."
        ),
        # Signed up and confirmed; an administrator approves it.
        "unapproved": (
            "An administrator hasn't approved your account yet. You'll get an email when they do."
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
            # were wrong. Say why, but only to someone who knows the password
            # (portal.backends notes it), so the message never reveals that
            # an address has an account.
            account = getattr(self.request, "refused_account", None)
            if account is None:
                raise
            reason = refusal_reason(account)
            if reason not in self.error_messages:
                raise
            raise ValidationError(self.error_messages[reason], code=reason) from error


def refusal_reason(account: User) -> str:
    """Why an account whose password was right can't sign in: a SignInForm error code."""
    if account.waiting_for_approval:
        return "unapproved"
    if account.state != User.State.PENDING or not account.signed_up:
        return str(account.state)
    # Signing up again sends an unconfirmed account a new link, while sign-up is open.
    return "unconfirmed" if SignUpSettings.load().enabled else "unconfirmed_closed"


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


class SetPasswordByLinkForm(SetPasswordForm):
    """Choose a password from an emailed link, through the service that records it.

    The person acts: following the link is theirs to do, signed in or not.
    """

    def save(self, commit: bool = True) -> Any:
        password = self.cleaned_data["new_password1"]
        actor = audit_context.person(
            self.user, via=Record.Via.PORTAL, address=audit_context.request_address()
        )
        with audit_context.acting(actor):
            return services.set_password(user=self.user, password=password)


class AdminSetPasswordForm(AdminPasswordChangeForm):
    """The Django admin's password page, through the service that records it."""

    def save(self, commit: bool = True) -> Any:
        usable = self.cleaned_data.get("set_usable_password", True)
        password = self.cleaned_data["password1"] if usable else None
        return services.set_password(user=self.user, password=password)


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
                services.check_password_rules(password, user=candidate)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


class NamedEntityForm(forms.ModelForm):
    """A form for a named entity (group, product): its name is unique whatever its case."""

    def clean_display_name(self) -> str:
        display_name = self.cleaned_data["display_name"]
        taken = self._meta.model._default_manager.named(display_name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(
                f"A {self._meta.model._meta.verbose_name} with this name already exists "
                "(names ignore upper and lower case). Choose another name.",
                code="duplicate",
            )
        return display_name


class EntityCreateForm(NamedEntityForm):
    """Create a named entity; an ID left blank is proposed from the name, as the page does."""

    ENTITY_WIDGETS: Any = {
        "name": forms.TextInput(attrs={"data-entity-id": "true", "spellcheck": "false"}),
        "display_name": forms.TextInput(attrs={"data-entity-name": "true", "autofocus": True}),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False

    def _id_taken(self, name: str) -> bool:
        return self._meta.model._default_manager.filter(name__iexact=name).exists()

    def _id_taken_message(self, name: str) -> str:
        noun = self._meta.model._meta.verbose_name
        return f"The ID “{name}” is taken by another {noun}. Choose another ID."

    def clean_name(self) -> str:
        name = self.cleaned_data.get("name", "")
        if name and self._id_taken(name):
            raise ValidationError(self._id_taken_message(name), code="duplicate")
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "name" in self.errors or cleaned.get("name") or not cleaned.get("display_name"):
            return cleaned
        proposed = propose_id(cleaned["display_name"])
        if not proposed:
            self.add_error(
                "name", "Enter an ID: the name has no letters or digits to propose one from."
            )
        elif self._id_taken(proposed):
            self.add_error("name", self._id_taken_message(proposed))
        else:
            cleaned["name"] = proposed
        return cleaned


class EntitySettingsForm(NamedEntityForm):
    """Edit a named entity; the hidden version detects another administrator's save."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version


def add_refusal(
    form: forms.BaseForm, error: ValidationError, *, otherwise: str | None = None
) -> None:
    """A service's refusal, beside the form's fields it names; the rest beside `otherwise`
    (a field), or above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(otherwise, error.messages)
        return
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else otherwise, problems)


class AsOfForm(forms.Form):
    """A moment to look back at (Access as of), and another to compare it with."""

    INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d"]

    at = forms.DateTimeField(
        label="As of",
        required=False,
        input_formats=INPUT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Date and time in UTC; a minute counts whole. Empty: now.",
    )
    compare = forms.DateTimeField(
        label="Compare with",
        required=False,
        input_formats=INPUT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Optional: another moment, to list what changed between the two.",
    )

    def _not_future(self, name: str) -> Any:
        moment = self.cleaned_data.get(name)
        if moment is None:
            return None
        now = timezone.now()
        if moment > now + timedelta(minutes=1):
            raise ValidationError("Pick a moment up to now: the record can't tell the future.")
        # A moment typed to the minute (or a bare date) means all of that minute
        # (day): "as of 11:40" holds what was done at 11:40:30. Never past now.
        typed = str(self.data.get(name, "")).strip()
        if len(typed) == len("2026-03-01"):
            moment += timedelta(days=1, microseconds=-1)
        elif len(typed) == len("2026-03-01T11:40"):
            moment += timedelta(minutes=1, microseconds=-1)
        return min(moment, now)

    def clean_at(self) -> Any:
        return self._not_future("at")

    def clean_compare(self) -> Any:
        return self._not_future("compare")


# A hundred years: anything longer is forever, which is what an empty field says.
MAX_KEEP_DAYS = 36500
KEEP_DAYS_HINT = "or leave it empty to keep records forever"


class RetentionForm(forms.Form):
    """Settings › Activity retention: how many days the activity record is kept."""

    keep_days = forms.IntegerField(
        label="Keep records for",
        required=False,
        min_value=1,
        max_value=MAX_KEEP_DAYS,
        help_text="Days. Empty: forever. Older records are removed when "
        "manage.py prune_activity runs, and each pruning is itself recorded.",
        error_messages={
            "invalid": f"Enter a whole number of days, {KEEP_DAYS_HINT}.",
            "min_value": f"Keep records for at least 1 day, {KEEP_DAYS_HINT}.",
            "max_value": f"Keep records for at most {MAX_KEEP_DAYS:,} days (100 years), "
            f"{KEEP_DAYS_HINT}.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(AppendedText("keep_days", "days"))
