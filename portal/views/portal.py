"""The developer portal's shell: the landing page, and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from content.models import Page
from portal import health as health_checks
from portal import preview
from products.models import Product

LANDING_PRODUCTS = 3


@login_not_required
@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    """The developer portal's front page; public.

    The landing page, when the viewer may see it, gives its heading and
    text; else the built-in welcome shows.
    """
    viewer, _ = preview.viewer_for(request)
    products = Product.objects.visible_to(viewer).order_by("display_name_key")
    landing_page = Page.objects.visible_to(viewer).filter(is_landing=True).first()
    return render(
        request,
        "portal/landing.html",
        {"products": products[:LANDING_PRODUCTS], "landing_page": landing_page},
    )


@login_not_required
@never_cache
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """The database and the cache, as JSON, for load balancers; public. 503 when one fails."""
    report = health_checks.report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
