from __future__ import annotations

from django import forms

from reviews.models import COMMENT_LENGTH


class DecisionForm(forms.Form):
    """The comment kept with a Keep or Remove (the decision is the button pressed)."""

    comment = forms.CharField(required=False, max_length=COMMENT_LENGTH)
