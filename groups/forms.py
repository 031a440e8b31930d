from __future__ import annotations

from django import forms

from groups.models import Group
from portal.forms import EntityCreateForm, EntitySettingsForm


class GroupCreateForm(EntityCreateForm):
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
            **EntityCreateForm.ENTITY_WIDGETS,
            "description": forms.Textarea(attrs={"rows": 3}),
        }


class GroupSettingsForm(EntitySettingsForm):
    """Name and description."""

    class Meta:
        model = Group
        fields = ["display_name", "description"]
        labels = {"display_name": "Name"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class GroupRuleForm(forms.Form):
    """+ Add rule: an email domain whose active accounts join the group."""

    value = forms.CharField(
        label="Email domain",
        max_length=300,
        help_text=(
            "People whose email address is at this domain, such as partner.example, join the "
            "group when their account becomes active. Subdomains don't count."
        ),
    )
