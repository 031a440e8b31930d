"""The console's Products tab: list, + Add, Settings, Publish, Delete, Access control."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groups.models import Group, member_count
from portal import activity, console
from portal.access import administrator_required
from portal.lists import paginate
from portal.models import User
from products import services
from products.forms import ProductCreateForm, ProductSettingsForm
from products.models import Product, ProductGroup
from products.tabs import PRODUCT_TABS
from subscriptions import services as subscription_services

PRODUCTS_INTRO = (
    "A product is visible in the developer portal once it is published, to the groups under "
    "its Access control."
)
STATE_FILTER = console.Filter(
    field="state", label="State", everything="All states", choices=Product.State.choices
)


def _page(product: Product, tab: str) -> dict[str, Any]:
    """The product's heading and tabs, for each of its pages."""
    listed = ("Products", "products:list")
    return console.entity_context(product, tab=tab, tabs=PRODUCT_TABS, listed=listed) | {
        "product": product
    }


def _breadcrumbs(product: Product) -> list[tuple[str, str]]:
    return [
        ("Products", reverse("products:list")),
        (product.display_name, product.get_absolute_url()),
    ]


@require_GET
@administrator_required
def product_list(request: HttpRequest) -> HttpResponse:
    return console.list_page(
        request,
        "products/product_list.html",
        title="Products",
        items=Product.objects.with_group_count().search,
        filter=STATE_FILTER,
        sorts=console.NAME_SORTING,
        context={"add_url": reverse("products:create"), "intro": PRODUCTS_INTRO},
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def product_create(request: HttpRequest) -> HttpResponse:
    form = ProductCreateForm(request.POST or None)
    if form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            product = services.create_product(
                groups=form.cleaned_data["groups"], added_by=request.user, **fields
            )
        except IntegrityError:
            form.add_error(None, "A product with this name or ID was just created. Try another.")
        else:
            text = f"Created the product {product.display_name}."
            if not product.is_published:
                text += " It is not published yet: only administrators see it until you publish it."
            messages.success(request, text)
            return redirect(product)
    return console.create_page(
        request,
        form,
        title="Add a product",
        list_url=reverse("products:list"),
        list_label="Products",
    )


def _who_can_see(product: Product) -> list[dict[str, Any]]:
    """Each group with access and how many people it brings."""
    links = list(
        ProductGroup.objects.filter(product=product)
        .select_related("group")
        .annotate(
            active_members=Count(
                "group__memberships",
                filter=Q(group__memberships__user__state=User.State.ACTIVE),
            )
        )
        .order_by("group__type", "group__display_name_key")
    )
    rows = []
    for link in links:
        group = link.group
        if group.name == Group.GUESTS:
            people = "Visitors who are not signed in"
        elif group.is_system:
            people = f"{member_count(group)} ({group.derived_membership.lower()})"
        else:
            people = str(link.active_members)
        rows.append({"group": group, "people": people})
    return rows


@require_GET
@administrator_required
def product_detail(request: HttpRequest, name: str) -> HttpResponse:
    product = get_object_or_404(Product, name=name)
    return render(
        request,
        "products/product_detail.html",
        _page(product, "overview")
        | {
            "who_can_see": _who_can_see(product),
            "subscriptions": product.subscriptions.select_related("owner", "product")[
                : console.SECTION_ROWS
            ],
            "subscription_count": product.subscriptions.count(),
        }
        | activity.history("product", product.pk, request.path),
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def product_update(request: HttpRequest, name: str) -> HttpResponse:
    product = get_object_or_404(Product, name=name)
    return console.settings_page(
        request,
        "products/product_settings.html",
        entity=product,
        form_class=ProductSettingsForm,
        save=lambda **changes: services.update_product(product=product, **changes),
        noun="product",
        context=_page(product, "settings"),
    )


@require_POST
@administrator_required
def product_publish(request: HttpRequest, name: str) -> HttpResponse:
    product = get_object_or_404(Product, name=name)
    services.set_state(product=product, state=Product.State.PUBLISHED)
    messages.success(
        request,
        f"Published {product.display_name}. Developers in its groups now see it in the portal.",
    )
    return redirect(product)


@require_POST
@administrator_required
def product_unpublish(request: HttpRequest, name: str) -> HttpResponse:
    product = get_object_or_404(Product, name=name)
    services.set_state(product=product, state=Product.State.NOT_PUBLISHED)
    messages.success(
        request,
        f"Unpublished {product.display_name}. Only administrators see it now; existing "
        "subscriptions keep working.",
    )
    return redirect(product)


@require_http_methods(["GET", "POST"])
@administrator_required
def product_delete(request: HttpRequest, name: str) -> HttpResponse:
    product = get_object_or_404(Product, name=name)
    error = ""
    if request.method == "POST":
        try:
            summary = subscription_services.delete_product(
                product=product,
                delete_subscriptions=request.POST.get("delete_subscriptions") == "on",
            )
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            messages.success(request, summary.message("product"))
            return redirect("products:list")
    groups = [link.group.display_name for link in product.links.select_related("group")]
    count = product.subscriptions.count()
    lost = [
        "The product, with its description and terms of use.",
        f"Access for {len(groups)} group{'s' if len(groups) != 1 else ''}: {', '.join(groups)}.",
    ]
    if count:
        lost.append(
            f"Its {count} subscription{'s' if count != 1 else ''}, if you tick the box below: "
            "their keys stop working."
        )
    return console.confirm_page(
        request,
        console.Confirmation(
            title=f"Delete the product {product.display_name}?",
            text="This can't be undone.",
            button="Delete",
            cancel_url=product.get_absolute_url(),
            breadcrumbs=_breadcrumbs(product),
            lost=lost,
            kept=["The groups and their members.", "Every other product."],
            option=(
                (
                    "delete_subscriptions",
                    f"Also delete its {count} subscription{'s' if count != 1 else ''}",
                )
                if count
                else None
            ),
        ),
        error=error,
    )


@require_GET
@administrator_required
def product_access(request: HttpRequest, name: str) -> HttpResponse:
    product = get_object_or_404(Product, name=name)
    links = (
        ProductGroup.objects.filter(product=product)
        .select_related("group", "added_by")
        .order_by("group__display_name_key")
    )
    return render(
        request,
        "products/product_access.html",
        _page(product, "access") | {"page": paginate(request, links)},
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def product_add_groups(request: HttpRequest, name: str) -> HttpResponse:
    product = get_object_or_404(Product, name=name)
    access_url = reverse("products:access", args=[product.name])

    def select(picked: console.Picked) -> HttpResponse:
        added = services.grant_access(product=product, groups=picked.items, added_by=request.user)
        names = ", ".join(sorted(group.display_name for group in picked.items))
        if added:
            messages.success(
                request,
                f"{names} can now see {product.display_name}"
                + ("" if product.is_published else " once it is published")
                + ".",
            )
        else:
            messages.info(request, f"{names} could already see {product.display_name}.")
        return redirect(access_url)

    return console.picker_page(
        request,
        console.Picker(
            offers=console.GROUPS,
            title=f"Give groups access to {product.display_name}",
            help="Tick the groups whose members should see this product, and press Select.",
            taken_label="Has access",
            cancel_url=access_url,
            breadcrumbs=[
                ("Products", reverse("products:list")),
                (product.display_name, access_url),
            ],
            empty="There are no groups.",
        ),
        candidates=Group.objects.order_by("type", "display_name_key", "pk"),
        links=ProductGroup.objects.filter(product=product),
        link_field="group",
        select=select,
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def product_remove_group(request: HttpRequest, name: str, group: str) -> HttpResponse:
    product = get_object_or_404(Product, name=name)
    link = get_object_or_404(
        ProductGroup.objects.select_related("group"), product=product, group__name=group
    )
    access_url = reverse("products:access", args=[product.name])

    def revoke() -> str:
        services.revoke_access(product=product, group=link.group)
        return f"{link.group.display_name} no longer has access to {product.display_name}."

    return console.confirmed(
        request,
        console.Confirmation(
            title=f"Take {link.group.display_name}'s access to {product.display_name} away?",
            text=f"Members of {link.group.display_name} will no longer see "
            f"{product.display_name} in the developer portal, unless another of their groups "
            "gives them access. The group and the product are kept; you can add the access "
            "back at any time.",
            button="Delete",
            cancel_url=access_url,
            breadcrumbs=[
                ("Products", reverse("products:list")),
                (product.display_name, access_url),
            ],
        ),
        act=revoke,
        then=access_url,
    )
