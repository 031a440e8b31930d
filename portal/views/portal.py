"""The developer portal: the landing page, the catalogue, a product, the profile."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from portal import preview
from portal.lists import paginate, search_query
from portal.views.subscriptions import subscribe_context
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
def product_list(request: HttpRequest) -> HttpResponse:
    """The catalogue of what the visitor may see; public, as guests see Guests' products."""
    viewer, _ = preview.viewer_for(request)
    query = search_query(request)
    products = Product.objects.visible_to(viewer).search(query).order_by("display_name_key", "pk")
    return render(
        request,
        "portal/product_list.html",
        {"page": paginate(request, products, per_page=12), "query": query},
    )


@login_not_required
@require_GET
def product_detail(request: HttpRequest, name: str) -> HttpResponse:
    """One product; a product the visitor may not see is a 404, like one that doesn't exist."""
    viewer, _ = preview.viewer_for(request)
    product = get_object_or_404(Product.objects.visible_to(viewer), name=name)
    return render(request, "portal/product_detail.html", subscribe_context(request, product))


@login_not_required
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """Liveness and database check for load balancers and `make run`; public."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok\n", content_type="text/plain")
