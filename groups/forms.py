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
    """Name, description, and whether developers can ask to join."""

    class Meta:
        model = Group
        fields = ["display_name", "description", "requestable", "request_hint"]
        labels = {"display_name": "Name"}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "request_hint": forms.Textarea(attrs={"rows": 2}),
        }


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


class JoinRequestForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need to join?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="An administrator reads this before deciding. Up to 1,000 characters.",
        error_messages={"required": "Say why you need to join."},
    )


class RejectRequestForm(forms.Form):
    decision_reason = forms.CharField(
        label="Reason",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Sent to the developer by email. Up to 1,000 characters.",
        error_messages={"required": "Give the developer a reason."},
    )
