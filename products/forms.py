from __future__ import annotations

from typing import Any, cast

from django import forms

from groups.models import Group
from portal.forms import EntityCreateForm, EntitySettingsForm
from products.models import Product

GROUPS_OFFERED = 30

PRODUCT_FIELDS = [
    "display_name",
    "description",
    "terms",
    "subscription_required",
    "approval_required",
    "subscriptions_limit",
    "listed",
]
WIDGETS = {
    "description": forms.Textarea(attrs={"rows": 4}),
    "terms": forms.Textarea(attrs={"rows": 4}),
    "subscriptions_limit": forms.NumberInput(attrs={"min": 1}),
}


class ProductCreateForm(EntityCreateForm):
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Groups that can see it",
        help_text="Administrators always see every product. More groups can be added later "
        "under Access control.",
    )

    class Meta:
        model = Product
        fields = ["display_name", "name", *PRODUCT_FIELDS[1:], "state"]
        labels = {"display_name": "Name", "state": "State"}
        help_texts = {
            "name": "Used in URLs and the API. Proposed from the name; it can't be changed later.",
        }
        widgets = {**WIDGETS, **EntityCreateForm.ENTITY_WIDGETS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Administrators are always included; offering them would mislead.
        offered = Group.objects.exclude(name=Group.ADMINISTRATORS).order_by(
            "-built_in", "display_name_key"
        )
        groups_field = cast(forms.ModelMultipleChoiceField, self.fields["groups"])
        groups_field.queryset = offered
        # Every group is accepted, but the form offers the first few; the
        # Access control picker searches them all.
        self.fields["groups"].widget.choices = [
            (group.pk, group.display_name) for group in offered[:GROUPS_OFFERED]
        ]


class ProductSettingsForm(EntitySettingsForm):
    """Everything but the ID and the state."""

    class Meta:
        model = Product
        fields = PRODUCT_FIELDS
        labels = {"display_name": "Name"}
        widgets = WIDGETS


class AccessRequestForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need access?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="An administrator reads this before deciding. Up to 1,000 characters.",
        error_messages={"required": "Say why you need access."},
    )
