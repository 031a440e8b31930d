"""A product's Access as of tab: who could see it, and who held an active
subscription, at a chosen moment, and what changed between two."""

from __future__ import annotations

from functools import partial

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from portal import console
from portal.access import administrator_required
from portal.lists import paginate
from products.models import Product
from products.views.console import _page
from subscriptions import history


@require_GET
@administrator_required
def product_as_of(request: HttpRequest, name: str) -> HttpResponse:
    product = get_object_or_404(Product, name=name)
    context = console.as_of_context(
        request, partial(history.product_as_of, product), history.product_changes
    )
    return render(
        request,
        "products/product_as_of.html",
        _page(product, "as_of") | context | {"page": paginate(request, context["result"].viewers)},
    )
