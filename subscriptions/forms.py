from __future__ import annotations

import secrets

from django import forms
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from portal.models import User
from products.models import Product
from subscriptions.models import Subscription, SubscriptionSettings


class SubscribeForm(forms.Form):
    display_name = forms.CharField(
        label="Subscription name",
        max_length=100,
        help_text="For your own reference, e.g. the app that will use the keys.",
    )
    accept_terms = forms.BooleanField(required=False, label="I accept the terms of use")
    # A new value each time the form is shown; the same value sent twice is one subscription.
    submission = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    @classmethod
    def fresh(cls, product_name: str) -> SubscribeForm:
        return cls(
            initial={
                "display_name": f"{product_name} subscription",
                "submission": secrets.token_urlsafe(16),
            }
        )


class RenameForm(forms.Form):
    display_name = forms.CharField(label="Subscription name", max_length=100)


class SubscriptionSettingsForm(forms.ModelForm):
    class Meta:
        model = SubscriptionSettings
        fields = ["notification_email", "on_access_loss"]
        widgets = {"on_access_loss": forms.RadioSelect}


# The state of a granted subscription; empty is what the product says.
GRANT_STATES = [
    ("", "As the product says: waiting for approval if it needs approval, otherwise active"),
    (Subscription.State.ACTIVE, "Active: the keys work at once"),
    (Subscription.State.SUBMITTED, "Waiting for approval: the keys work once it is approved"),
]


class GrantForm(forms.Form):
    """Subscriptions › + Add subscription: an administrator's grant for a developer."""

    developer = forms.EmailField(
        label="Developer",
        max_length=254,
        help_text="Their email address. Type part of a name or address to search.",
        widget=forms.EmailInput(attrs={"list": "developer-options", "autocomplete": "off"}),
    )
    product = forms.ModelChoiceField(
        label="Product",
        queryset=Product.objects.order_by("display_name_key", "pk"),
        to_field_name="name",
        empty_label="Choose a product",
        help_text="Any product, whether or not the developer can see it.",
        error_messages={"invalid_choice": "Choose one of the products in the list."},
    )
    display_name = forms.CharField(
        label="Subscription name",
        max_length=100,
        help_text="Shown to the developer on their profile, e.g. the app that will use the keys.",
    )
    state = forms.ChoiceField(
        label="State", choices=GRANT_STATES, required=False, widget=forms.RadioSelect
    )
    notify = forms.BooleanField(label="Email the developer about it", required=False, initial=True)

    def clean_developer(self) -> User:
        email = self.cleaned_data["developer"]
        found = User.objects.filter(Exact(Lower("email"), email.lower())).first()
        if found is None:
            raise forms.ValidationError(
                "No account has this email address. Check it, or add the developer under "
                "Users first.",
                code="unknown",
            )
        return found
