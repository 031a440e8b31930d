"""The console's Settings › Provisioning (SCIM) page: tokens for identity providers.

Create (the secret shown once), list, revoke (asked first). The tokens are
the portal's, not a person's: every administrator sees and revokes them all.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal import console
from portal.access import administrator_required
from scim import services
from scim.models import ScimToken

NEW_TOKEN_KEY = "portico_new_scim_token"


class ScimTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="Which identity provider sends it, e.g. “Entra ID (production tenant)”.",
    )
    days = forms.IntegerField(label="Expires after (days)", min_value=1, max_value=730, initial=365)


@never_cache
@require_http_methods(["GET", "POST"])
@administrator_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = ScimTokenForm(request.POST or None)
    if form.is_valid():
        token, clear = services.issue_token(
            created_by=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
        )
        # Post/Redirect/Get: the clear text rides in the session for exactly
        # one page view, so reloading neither re-creates nor re-shows it.
        request.session[NEW_TOKEN_KEY] = {"name": token.name, "clear": clear}
        return redirect("console:scim_tokens")
    created = request.session.pop(NEW_TOKEN_KEY, None)
    tokens = ScimToken.objects.select_related("created_by").order_by("-created_at")[:100]
    return render(
        request,
        "scim/token_list.html",
        {
            "title": "Provisioning (SCIM)",
            "caption": "Provisioning tokens",
            "revoke_url": "console:scim_token_revoke",
            "show_creator": True,
            "form": form,
            "tokens": tokens,
            "created": created,
            "now": timezone.now(),
            "base_url": request.build_absolute_uri(reverse("scim:root")),
        },
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ScimToken, pk=pk)
    tokens_url = reverse("console:scim_tokens")

    def revoke() -> str:
        services.revoke_token(token=token)
        return f"Revoked the provisioning token “{token.name}”. Its identity provider now gets 401."

    return console.confirmed(
        request,
        console.Confirmation(
            title=f"Revoke the provisioning token “{token.name}”?",
            text=f"The identity provider that sends the token starting {token.prefix}… can no "
            "longer create, change or remove users and groups. Accounts and groups it made stay "
            "as they are. This can't be undone; create a new token to connect it again.",
            button="Revoke",
            cancel_url=tokens_url,
            breadcrumbs=[
                ("Settings", reverse("console:settings")),
                ("Provisioning (SCIM)", tokens_url),
            ],
        ),
        act=revoke,
        then=tokens_url,
    )
