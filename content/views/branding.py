"""Settings › Branding in the console, and the branding's logo and accent stylesheet,
served to everyone at versioned addresses."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from content import branding
from content.branding_forms import BrandingForm
from content.colours import HEX_COLOUR, rgb
from content.models import DEFAULT_ACCENT, Branding
from portal import console
from portal.access import administrator_required
from portal.entities import ConcurrentChangeError

# A versioned address never changes what it serves.
FOREVER = "public, max-age=31536000, immutable"


@require_http_methods(["GET", "POST"])
@administrator_required
def branding_settings(request: HttpRequest) -> HttpResponse:
    """The portal's name, accent colour and logo; a save over another administrator's is refused."""
    saved = branding.load()
    form = BrandingForm(request.POST or None, request.FILES or None, instance=copy.copy(saved))
    conflict = None
    if form.is_valid():
        logo: bytes | None | branding.Unchanged = branding.UNCHANGED
        if form.cleaned_data["remove_logo"]:
            logo = None
        elif form.cleaned_data["logo"]:
            logo = form.cleaned_data["logo"]
        try:
            branding.update_branding(
                expected_version=form.cleaned_data["version"],
                logo=logo,
                portal_name=form.cleaned_data["portal_name"],
                accent_colour=form.cleaned_data["accent_colour"],
            )
        except ConcurrentChangeError as error:
            form, conflict = console.reopen_after_conflict(
                BrandingForm, request.POST, error.current
            )
            saved = error.current
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Saved the branding. The portal shows it from now on.")
            return redirect("content:branding")
    return render(
        request,
        "content/branding_form.html",
        {"form": form, "conflict": conflict, "saved": saved},
        status=400 if form.is_bound else 200,
    )


@login_not_required
@require_GET
def branding_logo(request: HttpRequest, version: int) -> HttpResponse:
    """The logo as uploaded, with the media type read from its bytes; 404 without one.

    Read from the row, not the cache: an address is fetched once a version
    by each browser, and a process's copy of the branding may be seconds old.
    """
    found = Branding.objects.filter(pk=1).values_list("version", "logo", "logo_type").first()
    current, content, media_type = found or (0, None, "")
    if not content:
        raise Http404("The portal has no logo.")
    if version != current:
        # An address from before the last change: the current logo.
        return redirect("portal:branding_logo", version=current)
    response = HttpResponse(bytes(content), content_type=media_type)
    response["Cache-Control"] = FOREVER
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = 'inline; filename="logo"'
    return response


def _darker(colour: str, by: float) -> str:
    return "#" + "".join(f"{round(channel * (1 - by)):02x}" for channel in rgb(colour))


@login_not_required
@require_GET
def branding_accent(request: HttpRequest, version: int) -> HttpResponse:
    """The accent as a stylesheet (the CSP refuses inline styles), linked by portal pages.

    Read from the row, like the logo. An address of another version than
    the current one gets the current colours, kept by no cache.
    """
    found = Branding.objects.filter(pk=1).values_list("version", "accent_colour").first()
    current, accent = found or (0, DEFAULT_ACCENT)
    if not HEX_COLOUR.match(accent):  # changed behind the services' back
        accent = DEFAULT_ACCENT
    red, green, blue = rgb(accent)
    # Darker still reads white text (the accent already does), for hover and press.
    hover, active = _darker(accent, 0.15), _darker(accent, 0.25)
    css = (
        f":root {{\n  --portico-blue: {accent};\n"
        f"  --portico-topbar-text: {branding.Brand(accent_colour=accent).topbar_text};\n}}\n"
        f".portal {{\n  --bs-link-color-rgb: {red}, {green}, {blue};\n"
        f"  --bs-link-hover-color-rgb: {', '.join(str(c) for c in rgb(hover))};\n}}\n"
        f".btn-primary {{\n  --bs-btn-hover-bg: {hover};\n  --bs-btn-hover-border-color: {hover};\n"
        f"  --bs-btn-active-bg: {active};\n  --bs-btn-active-border-color: {active};\n}}\n"
        f".portal .btn-outline-primary {{\n  --bs-btn-color: {accent};\n"
        f"  --bs-btn-border-color: {accent};\n  --bs-btn-hover-bg: {accent};\n"
        f"  --bs-btn-hover-border-color: {accent};\n  --bs-btn-hover-color: #fff;\n"
        f"  --bs-btn-active-bg: {active};\n  --bs-btn-active-border-color: {active};\n"
        f"  --bs-btn-active-color: #fff;\n}}\n"
        f".hero {{ background: linear-gradient(135deg, {accent}, {active}); }}\n"
    )
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = FOREVER if version == current else "no-cache"
    return response
