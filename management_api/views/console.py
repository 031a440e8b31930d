"""The console's API tokens page: create (shown once), list, revoke (asked first)."""

from __future__ import annotations

from typing import cast

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from management_api import services
from management_api.models import AccessToken
from portal import console
from portal.access import administrator_required
from portal.models import User

NEW_TOKEN_KEY = "portico_new_api_token"


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “CI deploy”.")
    days = forms.IntegerField(label="Expires after (days)", min_value=1, max_value=366, initial=30)


@never_cache
@require_http_methods(["GET", "POST"])
@administrator_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if form.is_valid():
        token, clear = services.issue_token(
            user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
        )
        # Post/Redirect/Get: the clear text rides in the session for exactly
        # one page view, so reloading neither re-creates nor re-shows it.
        request.session[NEW_TOKEN_KEY] = {"name": token.name, "clear": clear}
        return redirect("console:tokens")
    created = request.session.pop(NEW_TOKEN_KEY, None)
    tokens = AccessToken.objects.filter(user=cast(User, request.user)).order_by("-created_at")[:100]
    return render(
        request,
        "api/token_list.html",
        {
            "title": "API tokens",
            "caption": "Your API tokens",
            "revoke_url": "console:token_revoke",
            "form": form,
            "tokens": tokens,
            "created": created,
            "now": timezone.now(),
        },
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(AccessToken, pk=pk, user=request.user)
    tokens_url = reverse("console:tokens")

    def revoke() -> str:
        services.revoke_token(token=token)
        return f"Revoked the token “{token.name}”. Calls with it now get 401."

    return console.confirmed(
        request,
        console.Confirmation(
            title=f"Revoke the token “{token.name}”?",
            text=f"Scripts and tools that send the token starting {token.prefix}… are refused "
            "from now on. This can't be undone; create a new token to give access again.",
            button="Revoke",
            cancel_url=tokens_url,
            breadcrumbs=[("Settings", reverse("console:settings")), ("API tokens", tokens_url)],
        ),
        act=revoke,
        then=tokens_url,
    )
