"""Settings › Branding's form."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from content import branding
from content.models import Branding

SIX_HEX_DIGITS = re.compile(r"^[0-9a-fA-F]{6}$")


class BrandingForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    logo = forms.FileField(
        label="Upload a new logo",
        required=False,
        help_text="PNG, JPEG or WebP, at most 256 KB and 1024×1024 pixels; shown about 32 "
        "pixels high in the top bar. A file isn't kept when a save is refused: choose it again.",
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)

    class Meta:
        model = Branding
        fields = ["portal_name", "accent_colour"]
        labels = {"portal_name": "Portal name", "accent_colour": "Accent colour"}
        help_texts = {
            "portal_name": "Shown in the top bar and in the browser's tab title. Up to 60 "
            "characters.",
            "accent_colour": "Like #1f4e79. The top bar's and primary buttons' background (with "
            "white text) and the links' colour: it must reach 4.5:1 against white (WCAG AA).",
        }
        widgets = {
            "accent_colour": forms.TextInput(
                attrs={
                    "maxlength": 7,
                    "spellcheck": "false",
                    "autocomplete": "off",
                    "class": "font-monospace",
                }
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
        self.fields["portal_name"].widget.attrs["maxlength"] = 60

    def clean_accent_colour(self) -> str:
        colour = self.cleaned_data["accent_colour"].strip()
        # "1f4e79" and "#1F4E79" mean what they say.
        if SIX_HEX_DIGITS.match(colour):
            colour = "#" + colour
        return colour.lower()

    def clean_logo(self) -> bytes | None:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size and upload.size > branding.LOGO_MAX_BYTES:
            raise forms.ValidationError(
                f"The logo is {upload.size / 1024:.0f} KB; it can be at most 256 KB."
            )
        content = upload.read()
        branding.logo_type(content)  # refuses, with the reason, what can't be a logo
        return content

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if self.cleaned_data.get("logo") and self.cleaned_data.get("remove_logo"):
            self.add_error("remove_logo", "Either upload a new logo or remove it, not both.")
        return cleaned
