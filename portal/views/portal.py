"""The developer portal's shell: the landing page, and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal import preview
from products.models import Product

LANDING_PRODUCTS = 3


@login_not_required
@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    """The developer portal's front page; public."""
    viewer, _ = preview.viewer_for(request)
    products = Product.objects.visible_to(viewer).order_by("display_name_key")
    return render(request, "portal/landing.html", {"products": products[:LANDING_PRODUCTS]})


@login_not_required
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """Liveness and database check for load balancers and `make run`; public."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok\n", content_type="text/plain")
