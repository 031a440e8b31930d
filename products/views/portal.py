"""The developer portal's catalogue and product page: what the visitor's groups may see."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from apis.models import Api
from portal import preview
from portal.lists import paginate, search_query
from products.models import Product
from subscriptions.forms import SubscribeForm
from subscriptions.rules import offer

CATALOGUE_PAGE = 12
# A product's page lists this many of its APIs; the APIs page has them all.
PRODUCT_APIS = 20


@login_not_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    """The catalogue of what the visitor may see; public, as guests see Guests' products."""
    viewer, _ = preview.viewer_for(request)
    query = search_query(request)
    products = Product.objects.visible_to(viewer).search(query).order_by("display_name_key", "pk")
    return render(
        request,
        "products/portal/product_list.html",
        {"page": paginate(request, products, per_page=CATALOGUE_PAGE), "query": query},
    )


@login_not_required
@require_GET
def product_detail(request: HttpRequest, name: str) -> HttpResponse:
    """One product; a product the visitor may not see is a 404, like one that doesn't exist."""
    viewer, shown = preview.viewer_for(request)
    product = get_object_or_404(Product.objects.visible_to(viewer), name=name)
    apis = Api.objects.visible_to(viewer).in_product(product).order_by("display_name_key", "pk")
    return render(
        request,
        "products/portal/product_detail.html",
        {
            "product": product,
            "apis": list(apis[: PRODUCT_APIS + 1]),
            "api_limit": PRODUCT_APIS,
            "offer": offer(viewer=request.user, product=product, previewing=shown is not None),
            "subscribe_form": SubscribeForm.fresh(product.display_name),
        },
    )
