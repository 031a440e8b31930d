"""The developer portal's catalogue and product page: what the visitor's groups may see.

A listed product that the visitor may not see shows only its name and
description, with Request access; everything else about it (its APIs,
subscribing, its reference) stays a 404, as for a hidden product.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from apis.models import Api
from portal import preview
from portal.forms import add_refusal
from portal.lists import paginate, search_query
from products import services
from products.forms import AccessRequestForm
from products.models import AccessRequest, Product
from subscriptions.forms import SubscribeForm
from subscriptions.rules import offer

CATALOGUE_PAGE = 12
# A product's page lists this many of its APIs; the APIs page has them all.
PRODUCT_APIS = 20
PREVIEW_MESSAGE = "This is a read-only preview: nothing can be requested while viewing as someone."


@login_not_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    """The catalogue of what the visitor may see, then what is listed for them;
    public, as guests see Guests' products and the listed ones."""
    viewer, _ = preview.viewer_for(request)
    query = search_query(request)
    products = Product.objects.search(query).in_catalogue_for(viewer)
    return render(
        request,
        "products/portal/product_list.html",
        {"page": paginate(request, products, per_page=CATALOGUE_PAGE), "query": query},
    )


@login_not_required
@require_GET
def product_detail(request: HttpRequest, name: str) -> HttpResponse:
    """One product; a product the visitor may not see is a 404, like one that doesn't
    exist, unless it is listed: then its name, description and Request access."""
    viewer, shown = preview.viewer_for(request)
    product = Product.objects.visible_to(viewer).filter(name=name).first()
    if product is None:
        listed = get_object_or_404(Product.objects.listed_for(viewer), name=name)
        return _listed_page(request, listed, AccessRequestForm())
    apis = Api.objects.in_seen_product(product).order_by("display_name_key", "pk")
    return render(
        request,
        "products/portal/product_detail.html",
        {
            "product": product,
            "apis": list(apis[: PRODUCT_APIS + 1]),
            "api_limit": PRODUCT_APIS,
            # Read through visible_to(viewer) above, and viewer is request.user
            # unless previewing, when offer() asks nothing more.
            "offer": offer(
                viewer=request.user,
                product=product,
                previewing=shown is not None,
                seen=True,
            ),
            "subscribe_form": SubscribeForm.fresh(product.display_name),
        },
    )


def _listed_page(
    request: HttpRequest, product: Product, form: AccessRequestForm, status: int = 200
) -> HttpResponse:
    waiting = None
    if request.user.is_authenticated and preview.current(request) is None:
        waiting = AccessRequest.objects.waiting().filter(user=request.user, product=product).first()
    return render(
        request,
        "products/portal/product_listed.html",
        {"product": product, "form": form, "waiting": waiting},
        status=status,
    )


@require_POST
def request_access(request: HttpRequest, name: str) -> HttpResponse:
    """Ask to see a listed product. One the developer sees already sends them to
    it; one neither visible nor listed for them is a 404."""
    if preview.current(request) is not None:
        messages.error(request, PREVIEW_MESSAGE)
        return redirect("portal:product", name)
    if Product.objects.visible_to(request.user).filter(name=name).exists():
        messages.info(request, "You can already see this product.")
        return redirect("portal:product", name)
    product = get_object_or_404(Product.objects.listed_for(request.user), name=name)
    form = AccessRequestForm(request.POST)
    if form.is_valid():
        try:
            services.request_access(
                user=request.user, product=product, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                f"Your request for access to {product.display_name} was sent. An administrator "
                "will approve or reject it; you'll get an email either way, and its state is on "
                "your profile.",
            )
            return redirect("portal:product", product.name)
    return _listed_page(request, product, form, status=400)


@require_POST
def withdraw_access_request(request: HttpRequest, pk: int) -> HttpResponse:
    if preview.current(request) is not None:
        messages.error(request, PREVIEW_MESSAGE)
        return redirect("portal:profile")
    mine = get_object_or_404(
        AccessRequest.objects.select_related("product", "user"), pk=pk, user=request.user
    )
    try:
        services.withdraw_access_request(request=mine)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, f"Withdrew your request for access to {mine.product.display_name}."
        )
    # Withdrawn from the product's page: back there; from the profile: back to it.
    if request.POST.get("back") == "product":
        return redirect("portal:product", mine.product.name)
    return redirect("portal:profile")
