"""Sign in with the OpenID Connect provider, and its settings page in the console."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from portal import console
from portal.access import administrator_required
from portal.views.account import SIGN_IN_BACKEND, home_after_sign_in
from sso import client, services
from sso.forms import ENVIRONMENT_NAMES, IdentityProviderForm
from sso.models import IdentityProviderSettings, Provider, current_provider, environment_fields

logger = logging.getLogger(__name__)

SESSION_KEY = "sso_pending"


def redirect_uri() -> str:
    """The callback address to register with the provider."""
    return settings.PORTICO_BASE_URL + reverse("portal:oidc_callback")


def _same_site_path(request: HttpRequest, target: str) -> str:
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return target
    return ""


def _failed(request: HttpRequest, provider: Provider, problem: str, *, status: int) -> HttpResponse:
    return render(
        request,
        "sso/failed.html",
        {"provider": provider, "problem": problem, "refused": status == 403},
        status=status,
    )


def _configured() -> Provider:
    provider = current_provider()
    if not provider.configured:
        raise Http404("Signing in with an identity provider isn't set up.")
    return provider


@login_not_required
@never_cache
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Send the browser to the provider, keeping state, nonce and PKCE verifier in the session."""
    provider = _configured()
    try:
        url, pending = client.start(
            provider,
            redirect_uri=redirect_uri(),
            next_path=_same_site_path(request, request.GET.get("next", "")),
        )
    except client.SignInFailed as error:
        return _failed(request, provider, error.message, status=400)
    request.session[SESSION_KEY] = pending.as_session()
    return HttpResponseRedirect(url)


@login_not_required
@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """The provider's answer: validated, matched to an account, groups synced, signed in."""
    provider = _configured()
    # Spent whatever happens next: an answer is checked against one sign-in, once.
    pending = client.Pending.from_session(request.session.pop(SESSION_KEY, None))
    if pending is None:
        return _failed(
            request,
            provider,
            "this browser has no sign-in waiting for an answer (it was answered already, "
            "took too long, or was started in another browser)",
            status=400,
        )
    try:
        issuer, claims = client.finish(
            provider,
            pending=pending,
            query=request.GET.dict(),
            redirect_uri=redirect_uri(),
        )
    except client.SignInFailed as error:
        logger.info("Sign-in with %s failed: %s", provider.issuer, error.message)
        return _failed(request, provider, error.message, status=400)
    try:
        signed_in = services.sign_in(provider=provider, issuer=issuer, claims=claims)
    except services.SignInRefused as refusal:
        return _failed(request, provider, refusal.message, status=403)
    login(request, signed_in.user, backend=SIGN_IN_BACKEND)
    return HttpResponseRedirect(pending.next or home_after_sign_in(signed_in.user))


@require_http_methods(["GET", "POST"])
@administrator_required
def provider_settings(request: HttpRequest) -> HttpResponse:
    """Settings › Identity provider; a save made over another administrator's is refused."""
    fixed = environment_fields()
    return console.settings_page(
        request,
        "sso/provider_settings.html",
        # Not created by a look: the save creates the row.
        entity=IdentityProviderSettings.objects.filter(pk=1).first()
        or IdentityProviderSettings(pk=1),
        form_class=IdentityProviderForm,
        save=services.update_provider_settings,
        noun="identity provider",
        context={
            "environment_names": sorted(ENVIRONMENT_NAMES[field] for field in fixed),
            "redirect_uri": redirect_uri(),
        },
    )
