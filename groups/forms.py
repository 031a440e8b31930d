from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import escape

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


# Escaped: crispy-forms shows help texts as HTML.
EXTERNAL_ID_HELP = escape(
    "The directory group's id or name, as your identity provider sends it in the groups "
    "claim or provisions it: for Entra ID, the group's object id or "
    "aad://<tenant>/groups/<id> (which matches the bare id in a claim); for other providers, "
    "their id or name as it is. Matched case-insensitively, so naming the group by name lets "
    "one setup work in a test and a production directory."
)


class ExternalGroupCreateForm(EntityCreateForm):
    """+ Add › External group: a group whose members come from the directory."""

    class Meta:
        model = Group
        fields = ["display_name", "name", "external_id", "description"]
        labels = {"display_name": "Name", "name": "ID", "external_id": "External ID"}
        help_texts = GroupCreateForm.Meta.help_texts | {"external_id": EXTERNAL_ID_HELP}
        widgets = {
            **EntityCreateForm.ENTITY_WIDGETS,
            "external_id": forms.TextInput(attrs={"spellcheck": "false"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The model then asks for the external ID, in one message.
        self.instance.type = Group.Type.EXTERNAL


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


class ExternalGroupSettingsForm(EntitySettingsForm):
    """An external group's name, description and the directory group it follows."""

    class Meta:
        model = Group
        fields = ["display_name", "description", "external_id"]
        labels = {"display_name": "Name", "external_id": "External ID"}
        help_texts = {
            "external_id": EXTERNAL_ID_HELP
            + " Changing it takes the current members out; people join again as they sign "
            "in or the directory provisions them."
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "external_id": forms.TextInput(attrs={"spellcheck": "false"}),
        }


class GroupRuleForm(forms.Form):
    """+ Add rule: an email domain, or an identity provider claim's value, that puts people
    in the group."""

    kind = forms.ChoiceField(
        label="People join when",
        choices=[
            ("email_domain", "their email address is at a domain"),
            ("claim", "the identity provider says so in a claim"),
        ],
        initial="email_domain",
        # Left out (a script posting only a domain): an email-domain rule.
        required=False,
        widget=forms.RadioSelect,
    )
    value = forms.CharField(
        label="Email domain, or the claim's value",
        max_length=300,
        help_text=(
            "A domain such as partner.example (subdomains don't count): its people join when "
            "their account becomes active. Or, for a claim, the value it must have, such as "
            "Logistics (any case; for a list claim, one of its items)."
        ),
    )
    claim = forms.CharField(
        label="Claim name (claim rules only)",
        max_length=100,
        required=False,
        help_text=(
            "The ID token claim to read, such as department or groups. A claim rule applies "
            "at each person's first sign-in through the identity provider."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["kind"] = data.get("kind") or "email_domain"
        if data.get("kind") == "claim" and not (data.get("claim") or "").strip():
            self.add_error("claim", "Enter the claim's name, such as department.")
        return data


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
