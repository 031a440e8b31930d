from __future__ import annotations

from typing import Any, cast

from django import forms

from groups.forms import ProposedIdMixin
from groups.models import Group
from products.models import Product

GROUPS_OFFERED = 30

PRODUCT_FIELDS = [
    "display_name",
    "description",
    "terms",
    "subscription_required",
    "approval_required",
    "subscriptions_limit",
]
WIDGETS = {
    "description": forms.Textarea(attrs={"rows": 4}),
    "terms": forms.Textarea(attrs={"rows": 4}),
    "subscriptions_limit": forms.NumberInput(attrs={"min": 1}),
}


class ProductNameMixin:
    """Refuse a name another product has, whatever its case."""

    instance: Product
    cleaned_data: dict[str, Any]

    def clean_display_name(self) -> str:
        display_name = self.cleaned_data["display_name"]
        taken = Product.objects.named(display_name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                "A product with this name already exists (names ignore upper and lower case).",
                code="duplicate",
            )
        return display_name


class ProductCreateForm(ProposedIdMixin, ProductNameMixin, forms.ModelForm):
    id_owner = "product"

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
        widgets = {
            **WIDGETS,
            "name": forms.TextInput(attrs={"data-group-id": "true", "spellcheck": "false"}),
            "display_name": forms.TextInput(attrs={"data-group-name": "true", "autofocus": True}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
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


class ProductSettingsForm(ProductNameMixin, forms.ModelForm):
    """Everything but the ID and the state; the version detects a concurrent save."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Product
        fields = PRODUCT_FIELDS
        labels = {"display_name": "Name"}
        widgets = WIDGETS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
