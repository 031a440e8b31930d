"""The console's forms for portal pages: + Add page and a page's Settings."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from content.models import Page
from portal.names import propose_id

PAGE_FIELDS = ["title", "slug", "visibility", "menu", "order", "body", "is_landing"]
PAGE_LABELS = {"slug": "Address", "visibility": "Who can see it", "is_landing": "Landing page"}
PAGE_HELP = {
    # Not the model's "/pages/<address>/": crispy shows help text as HTML.
    "slug": "The page opens at /pages/getting-started/ for the address getting-started. "
    "Lowercase letters, digits and single hyphens.",
    "visibility": "“Chosen groups”: add the groups under the page's Access tab. Administrators "
    "always see every page.",
    "is_landing": "Shown at the portal's front page instead of the built-in welcome. Only one "
    "page can be the landing page: ticking this takes the place of the one before.",
}
PAGE_WIDGETS = {
    "title": forms.TextInput(attrs={"data-entity-name": "true", "autofocus": True}),
    "slug": forms.TextInput(attrs={"data-entity-id": "slug", "spellcheck": "false"}),
    "body": forms.Textarea(attrs={"rows": 14, "class": "font-monospace", "spellcheck": "true"}),
}
# Far past any menu's length, and within every database's integer column.
ORDER_LIMIT = 1_000_000


def propose_slug(title: str) -> str:
    """An address from a title, as static/js/entity-form.js proposes it: lowercase
    letters and digits, one hyphen between runs of anything else."""
    return re.sub(r"[^a-z0-9]+", "-", propose_id(title)).strip("-")[:100].rstrip("-")


class LandingPageMoves(forms.ModelForm):
    """A page form on which ticking "Landing page" moves the landing page here.

    The service takes the flag from the page that had it, so the
    one-landing-page constraint is not the form's to refuse (the console's
    forms and the Django admin's alike).
    """

    def _get_validation_exclusions(self) -> set[str]:
        return {*super()._get_validation_exclusions(), "is_landing"}  # type: ignore[misc]


class PageForm(LandingPageMoves):
    """What + Add page and Settings share: the address is unique whatever its case."""

    order = forms.IntegerField(
        min_value=-ORDER_LIMIT,
        max_value=ORDER_LIMIT,
        initial=0,
        help_text="Lower numbers come first in a menu.",
    )

    class Meta:
        model = Page
        fields = PAGE_FIELDS
        labels = PAGE_LABELS
        help_texts = PAGE_HELP
        widgets = PAGE_WIDGETS

    def _slug_taken(self, slug: str) -> bool:
        taken = Page.objects.filter(slug__iexact=slug)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        return taken.exists()

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug", "")
        if slug and self._slug_taken(slug):
            raise ValidationError(
                f"Another page already has the address “{slug}”. Choose another address.",
                code="duplicate",
            )
        return slug


class PageCreateForm(PageForm):
    """+ Add page: a draft unless “Publish now”; an address left blank comes from the title."""

    publish_now = forms.BooleanField(
        required=False,
        label="Publish now",
        help_text="Otherwise the page is a draft that only administrators see until you "
        "publish it.",
    )

    class Meta(PageForm.Meta):
        help_texts = {
            **PAGE_HELP,
            "slug": "The page opens at /pages/getting-started/ for the address "
            "getting-started. Proposed from the title; lowercase letters, digits and hyphens.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "slug" in self.errors or cleaned.get("slug") or not cleaned.get("title"):
            return cleaned
        proposed = propose_slug(cleaned["title"])
        if not proposed:
            self.add_error(
                "slug", "Enter an address: the title has no letters or digits to propose one from."
            )
        elif self._slug_taken(proposed):
            self.add_error(
                "slug",
                f"Another page already has the address “{proposed}”. Choose another address.",
            )
        else:
            cleaned["slug"] = proposed
        return cleaned


class PageSettingsForm(PageForm):
    """Everything but the state (Publish and Unpublish); the hidden version detects
    another administrator's save."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta(PageForm.Meta):
        help_texts = {
            **PAGE_HELP,
            "slug": PAGE_HELP["slug"] + " Links to the old address stop working when it changes.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
