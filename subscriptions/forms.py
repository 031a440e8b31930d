from __future__ import annotations

import secrets

from django import forms

from subscriptions.models import SubscriptionSettings


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
