from __future__ import annotations

from typing import Any

from django import forms

from portal.signup_forms import MAX_DOMAINS_TEXT
from sso.models import ENVIRONMENT_FIELDS, IdentityProviderSettings, environment_fields

PROVIDER_FIELDS = [
    "display_name",
    "issuer",
    "client_id",
    "client_secret",
    "scopes",
    "groups_claim",
    "allowed_domains",
    "creates_accounts",
]
ENVIRONMENT_NAMES = {
    field: f"PORTICO_OIDC_{key.upper()}" for key, field in ENVIRONMENT_FIELDS.items()
}


class IdentityProviderForm(forms.ModelForm):
    """The identity provider's settings; the client secret is written, never shown."""

    # Fields whose saved value no page shows, not even beside a conflict.
    write_only = frozenset({"client_secret"})

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = IdentityProviderSettings
        fields = PROVIDER_FIELDS
        widgets = {
            "client_secret": forms.PasswordInput(render_value=False),
            "allowed_domains": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
        self.initial.pop("client_secret", None)
        secret = self.fields["client_secret"]
        secret.required = False
        secret.help_text = (
            "Stored. Leave blank to keep it; type a new one to replace it."
            if self.instance.client_secret
            else "None stored yet."
        )
        self.fields["allowed_domains"].widget.attrs["maxlength"] = MAX_DOMAINS_TEXT
        for field in environment_fields():
            self.fields[field].disabled = True
            self.fields[field].required = False
            self.fields[
                field
            ].help_text = (
                f"Set by the environment ({ENVIRONMENT_NAMES[field]}), which wins over this page."
            )
        if "client_secret" in environment_fields():
            self.initial["client_secret"] = ""

    def clean_scopes(self) -> str:
        scopes = self.cleaned_data["scopes"].split()
        if "scopes" not in environment_fields() and "openid" not in scopes:
            raise forms.ValidationError("The scopes must include openid.")
        return " ".join(scopes)

    def clean_allowed_domains(self) -> str:
        text = self.cleaned_data["allowed_domains"]
        if len(text) > MAX_DOMAINS_TEXT:
            raise forms.ValidationError(f"Keep the list to {MAX_DOMAINS_TEXT:,} characters.")
        email = forms.EmailField()
        for line in text.splitlines():
            domain = line.strip().lstrip("@")
            if not domain:
                continue
            try:
                email.clean(f"someone@{domain}")
            except forms.ValidationError:
                raise forms.ValidationError(f"“{domain}” isn't a domain.") from None
        return text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if "display_name" not in environment_fields() and not (cleaned or {}).get(
            "display_name", self.instance.display_name
        ):
            self.add_error("display_name", "Give the provider a name for the sign-in button.")
        return cleaned or {}
