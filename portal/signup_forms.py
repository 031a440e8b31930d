"""The sign-up form on the developer portal and the console's sign-up settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator

from portal.models import SignUpSettings, domain_lines

MAX_DOMAINS_TEXT = 5000
MAX_TERMS_TEXT = 20000
SETTINGS_FIELDS = ["enabled", "approval", "allowed_domains", "refused_domains", "terms"]


class SignUpForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    first_name = forms.CharField(
        max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    password = forms.CharField(
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not all digits, and not like your name or email.",
    )
    password_again = forms.CharField(
        label="Password again",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    accept_terms = forms.BooleanField(label="I accept the terms of use above")

    def __init__(self, *args: Any, terms: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not terms.strip():
            del self.fields["accept_terms"]

    def clean_first_name(self) -> str:
        return _plain_name(self.cleaned_data["first_name"])

    def clean_last_name(self) -> str:
        return _plain_name(self.cleaned_data["last_name"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password, again = cleaned.get("password"), cleaned.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", "The two passwords differ. Type the same one twice.")
        return cleaned


def _plain_name(value: str) -> str:
    if any(ord(character) < 32 or character in "<>" for character in value):
        raise forms.ValidationError("Use letters, spaces and punctuation, without < or >.")
    return value


class SignUpSettingsForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = SignUpSettings
        fields = SETTINGS_FIELDS
        widgets = {
            "allowed_domains": forms.Textarea(attrs={"rows": 3}),
            "refused_domains": forms.Textarea(attrs={"rows": 3}),
            "terms": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
        limits = {"allowed_domains": MAX_DOMAINS_TEXT, "refused_domains": MAX_DOMAINS_TEXT}
        for name, limit in (limits | {"terms": MAX_TERMS_TEXT}).items():
            self.fields[name].validators.append(MaxLengthValidator(limit))
            self.fields[name].widget.attrs["maxlength"] = limit

    def _domains(self, name: str) -> str:
        text = self.cleaned_data[name]
        email = forms.EmailField()
        for domain in domain_lines(text):
            try:
                email.clean(f"someone@{domain}")
            except forms.ValidationError:
                raise forms.ValidationError(f"“{domain}” isn't a domain.") from None
        return text

    def clean_allowed_domains(self) -> str:
        return self._domains("allowed_domains")

    def clean_refused_domains(self) -> str:
        return self._domains("refused_domains")
