"""The console's API tokens page: create (shown once), list, revoke."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from api.models import AccessToken
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
        token, clear = AccessToken.issue(
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
        {"form": form, "tokens": tokens, "created": created, "now": timezone.now()},
    )


@require_POST
@administrator_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(AccessToken, pk=pk, user=request.user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    messages.success(request, f"Revoked the token “{token.name}”. Calls with it now get 401.")
    return redirect("console:tokens")
