from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms

from groups.models import Group

MAX_ID_LENGTH = Group._meta.get_field("name").max_length or 256


def propose_group_id(display_name: str) -> str:
    """A lowercase ID from a display name; static/js/group-form.js does the same.

    Accents are dropped ("Café" → "cafe"); every run of other characters
    becomes one hyphen. Names with no usable letters propose nothing.
    """
    ascii_name = (
        unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode("ascii")
    )
    slug = re.sub(r"[^a-z0-9._]+", "-", ascii_name.lower()).strip("-.")
    return slug[:MAX_ID_LENGTH].rstrip("-")


class ProposedIdMixin:
    """An ID field left blank is proposed from the name, and IDs are unique
    whatever their case. Used by the create forms of groups and products."""

    id_owner = "group"
    cleaned_data: dict[str, Any]
    errors: Any
    _meta: Any

    def _id_taken(self, name: str) -> bool:
        return self._meta.model._default_manager.filter(name__iexact=name).exists()

    def _id_taken_message(self, name: str) -> str:
        return f"The ID “{name}” is taken by another {self.id_owner}. Choose another ID."

    def clean_name(self) -> str:
        name = self.cleaned_data.get("name", "")
        if name and self._id_taken(name):
            raise forms.ValidationError(self._id_taken_message(name), code="duplicate")
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        if "name" in self.errors or cleaned.get("name") or not cleaned.get("display_name"):
            return cleaned
        proposed = propose_group_id(cleaned["display_name"])
        if not proposed:
            self.add_error(  # type: ignore[attr-defined]
                "name", "Enter an ID: the name has no letters or digits to propose one from."
            )
        elif self._id_taken(proposed):
            self.add_error("name", self._id_taken_message(proposed))  # type: ignore[attr-defined]
        else:
            cleaned["name"] = proposed
        return cleaned


class GroupCreateForm(ProposedIdMixin, forms.ModelForm):
    class Meta:
        model = Group
        fields = ["display_name", "name", "description"]
        labels = {"display_name": "Name", "name": "ID"}
        help_texts = {
            "display_name": "Unique, up to 300 characters. Developers never see it.",
            "name": (
                "Used in URLs and the API. Proposed from the name; letters, digits, "
                "-, _ and . only. It can't be changed later."
            ),
            "description": "Optional, up to 1,000 characters.",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "name": forms.TextInput(attrs={"data-group-id": "true", "spellcheck": "false"}),
            "display_name": forms.TextInput(attrs={"data-group-name": "true", "autofocus": True}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Blank means "propose it from the name", as the page does while typing.
        self.fields["name"].required = False

    def clean_display_name(self) -> str:
        display_name = self.cleaned_data["display_name"]
        if Group.objects.named(display_name).exists():
            raise forms.ValidationError(
                "A group with this name already exists (names ignore upper and lower case). "
                "Choose another name.",
                code="duplicate",
            )
        return display_name


class GroupSettingsForm(forms.ModelForm):
    """Name and description; the version field detects a concurrent save."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Group
        fields = ["display_name", "description"]
        labels = {"display_name": "Name"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean_display_name(self) -> str:
        display_name = self.cleaned_data["display_name"]
        taken = Group.objects.named(display_name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                "Another group already has this name (names ignore upper and lower case).",
                code="duplicate",
            )
        return display_name
