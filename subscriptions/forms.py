from __future__ import annotations

import secrets
from typing import Any, cast

from django import forms
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from apis.models import Api
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


# The state of a granted subscription; empty is what the product says (for one API,
# the products the developer sees it in).
GRANT_STATES = [
    (
        "",
        "As the product or API says: waiting for approval if it needs approval, otherwise active",
    ),
    (Subscription.State.ACTIVE, "Active: the keys work at once"),
    (Subscription.State.SUBMITTED, "Waiting for approval: the keys work once it is approved"),
]


# The grant form's scope values, as Azure writes a subscription's scope.
PRODUCTS = "products/"
APIS = "apis/"


class GrantForm(forms.Form):
    """Subscriptions › + Add subscription: an administrator's grant for a developer."""

    developer = forms.EmailField(
        label="Developer",
        max_length=254,
        help_text="Their email address. Type part of a name or address to search.",
        widget=forms.EmailInput(attrs={"list": "developer-options", "autocomplete": "off"}),
    )
    scope = forms.ChoiceField(
        label="Scope",
        help_text="A product, or one API alone; any of them, whether or not the developer can "
        "see it.",
        error_messages={"invalid_choice": "Choose one of the products or APIs in the list."},
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Two queries however many there are: IDs and names only, no rows as objects.
        products = [
            (f"{PRODUCTS}{name}", display_name)
            for name, display_name in Product.objects.order_by(
                "display_name_key", "pk"
            ).values_list("name", "display_name")
        ]
        apis = [
            (f"{APIS}{name}", display_name)
            for name, display_name in Api.objects.order_by("display_name_key", "pk").values_list(
                "name", "display_name"
            )
        ]
        choices: list[Any] = [("", "Choose a product or an API")]
        if products:
            choices.append(("Products", products))
        if apis:
            choices.append(("APIs (one API alone)", apis))
        cast(forms.ChoiceField, self.fields["scope"]).choices = choices

    def clean_scope(self) -> Product | Api:
        """The product or API chosen, found afresh (it may have gone since the page was shown)."""
        value = self.cleaned_data["scope"]
        found: Product | Api | None = None
        if value.startswith(PRODUCTS):
            found = Product.objects.filter(name=value.removeprefix(PRODUCTS)).first()
        elif value.startswith(APIS):
            found = Api.objects.filter(name=value.removeprefix(APIS)).first()
        if found is None:
            raise forms.ValidationError(
                self.fields["scope"].error_messages["invalid_choice"], code="invalid_choice"
            )
        return found

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


class CloseAccountForm(forms.Form):
    """The profile's "Delete my account": the current password, checked by the service."""

    password = forms.CharField(
        label="Your current password",
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
