"""The console's Products tab: list, + Add, Settings, Publish, Delete, Access control."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groups.models import Group
from portal.access import administrator_required
from portal.forms import reopen_after_conflict
from portal.lists import (
    NAME_SORT_CHOICES,
    NAME_SORTS,
    choice,
    paginate,
    search_query,
    submitted_names,
)
from products import services
from products.forms import ProductCreateForm, ProductSettingsForm
from products.models import Product, ProductGroup

User = get_user_model()


@require_GET
@administrator_required
def product_list(request: HttpRequest) -> HttpResponse:
    query = search_query(request)
    state = choice(request, "state", Product.State.values)
    sort = choice(request, "sort", NAME_SORTS, default="name")
    products = Product.objects.search(query).with_group_count().order_by(*NAME_SORTS[sort])
    if state:
        products = products.filter(state=state)
    return render(
        request,
        "products/product_list.html",
        {
            "page": paginate(request, products),
            "query": query,
            "state": state,
            "sort": sort,
            "sort_choices": NAME_SORT_CHOICES,
            "states": Product.State.choices,
        },
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
    return render(
        request,
        "console/create_form.html",
        {
            "form": form,
            "title": "Add a product",
            "list_url": reverse("products:list"),
            "list_label": "Products",
        },
    )


def _who_can_see(product: Product) -> list[dict]:
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
    active = User.objects.filter(state=User.State.ACTIVE)
    derived = {
        Group.ADMINISTRATORS: active.filter(is_superuser=True).count(),
        Group.DEVELOPERS: active.count(),
    }
    rows = []
    for link in links:
        group = link.group
        if group.name == Group.GUESTS:
            people = "Every visitor, signed in or not"
        elif group.is_system:
            people = f"{derived[group.name]} ({group.derived_membership.lower()})"
        else:
            people = str(link.active_members)
        rows.append({"group": group, "people": people, "link": link})
    return rows


@require_GET
@administrator_required
def product_detail(request: HttpRequest, name: str) -> HttpResponse:
    product = get_object_or_404(Product, name=name)
    return render(
        request,
        "products/product_detail.html",
        {
            "product": product,
            "who_can_see": _who_can_see(product),
            "subscriptions": product.subscriptions.select_related("owner", "product")[:50],
            "subscription_count": product.subscriptions.count(),
            "tab": "overview",
        },
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def product_update(request: HttpRequest, name: str) -> HttpResponse:
    product = get_object_or_404(Product, name=name)
    # The form edits a copy, so that a refused save leaves the heading alone.
    form = ProductSettingsForm(request.POST or None, instance=copy.copy(product))
    conflict = None
    if form.is_valid():
        changes = {field: form.cleaned_data[field] for field in ProductSettingsForm.Meta.fields}
        try:
            services.update_product(
                product=product, expected_version=form.cleaned_data["version"], **changes
            )
        except services.ConcurrentChangeError as error:
            form, conflict = reopen_after_conflict(ProductSettingsForm, request.POST, error.current)
        except ValidationError as error:
            form.add_error(None, error.messages)
        except IntegrityError:
            form.add_error("display_name", "Another product was just given this name.")
        else:
            messages.success(request, f"Saved the settings of {changes['display_name']}.")
            return redirect("products:update", name=product.name)
    return render(
        request,
        "products/product_settings.html",
        {"product": product, "form": form, "conflict": conflict, "tab": "settings"},
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
            summary = services.delete_product(
                product=product,
                delete_subscriptions=request.POST.get("delete_subscriptions") == "on",
            )
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            text = (
                f"Deleted the product {summary.display_name}; {summary.groups_removed} "
                f"group{'s' if summary.groups_removed != 1 else ''} lost access to it"
            )
            if summary.subscriptions_removed:
                text += f", and its {summary.subscriptions_removed} subscriptions were deleted"
            messages.success(request, text + ".")
            return redirect("products:list")
    links = ProductGroup.objects.filter(product=product).select_related("group")
    return render(
        request,
        "products/product_confirm_delete.html",
        {
            "product": product,
            "links": links,
            "subscription_count": product.subscriptions.count(),
            "error": error,
            "tab": "delete",
        },
        status=400 if error else 200,
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
        {"product": product, "page": paginate(request, links), "tab": "access"},
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def product_add_groups(request: HttpRequest, name: str) -> HttpResponse:
    product = get_object_or_404(Product, name=name)
    query = search_query(request)
    error = ""
    if request.method == "POST":
        chosen = submitted_names(request.POST.getlist("group"))
        groups = list(Group.objects.filter(name__in=chosen))
        if not groups:
            error = "Choose at least one group, then press Select."
        else:
            added = services.grant_access(product=product, groups=groups, added_by=request.user)
            names = ", ".join(sorted(group.display_name for group in groups))
            if added:
                messages.success(
                    request,
                    f"{names} can now see {product.display_name}"
                    + ("" if product.is_published else " once it is published")
                    + ".",
                )
            else:
                messages.info(request, f"{names} could already see {product.display_name}.")
            return redirect("products:access", name=product.name)
    candidates = Group.objects.search(query).order_by("type", "display_name_key", "pk")
    page = paginate(request, candidates)
    linked = set(
        ProductGroup.objects.filter(product=product, group__in=list(page.object_list)).values_list(
            "group_id", flat=True
        )
    )
    return render(
        request,
        "products/product_add_groups.html",
        {
            "product": product,
            "page": page,
            "query": query,
            "linked": linked,
            "error": error,
            "action": reverse("products:add_groups", args=[product.name]),
        },
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def product_remove_group(request: HttpRequest, name: str, group: str) -> HttpResponse:
    product = get_object_or_404(Product, name=name)
    link = get_object_or_404(
        ProductGroup.objects.select_related("group"), product=product, group__name=group
    )
    if request.method == "POST":
        try:
            services.revoke_access(product=product, group=link.group)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                f"{link.group.display_name} no longer has access to {product.display_name}.",
            )
        return redirect("products:access", name=product.name)
    return render(
        request,
        "products/productgroup_confirm_delete.html",
        {"product": product, "link": link, "tab": "access"},
    )
