"""The console's APIs tab: list, + Add API (import), Overview with restrictions,
Products, Settings, Re-import with a preview, Delete; and a product's APIs tab."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apis import services
from apis.forms import ApiImportForm, ApiSettingsForm, DocumentForm, ReimportConfirmForm
from apis.models import Api, Operation, ProductApi, Restriction, restricted_keys
from groups.models import Group
from portal import activity, console
from portal.access import administrator_required
from portal.entities import ConcurrentChangeError
from portal.lists import paginate
from products.models import Product
from products.tabs import PRODUCT_TABS
from subscriptions import services as subscription_services

APIS_INTRO = (
    "An API is a set of operations described by an OpenAPI document. Developers see it in "
    "the portal through the products that contain it."
)
TABS = [
    ("overview", "Overview", "apis:detail"),
    ("products", "Products", "apis:products"),
    ("settings", "Settings", "apis:update"),
    ("as_of", "Access as of", "apis:as_of"),
]
# Operations shown on one page of an API's Overview.
OPERATIONS_PER_PAGE = 50

PRODUCTS = console.Candidates(
    search_label="Search products by name or description",
    columns=["Product", "State", "Description"],
    row_template="apis/console_picker_product.html",
    nothing_chosen="Choose at least one product, then press Select.",
    key="name",
)
APIS = console.Candidates(
    search_label="Search APIs by name, ID or description",
    columns=["API", "URL suffix", "Version"],
    row_template="apis/console_picker_api.html",
    nothing_chosen="Choose at least one API, then press Select.",
    key="name",
)


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _api(name: str) -> Api:
    return get_object_or_404(Api, name=name)


def _page(api: Api, tab: str) -> dict[str, Any]:
    """The API's heading and tabs, for each of its pages."""
    return console.entity_context(api, tab=tab, tabs=TABS, listed=("APIs", "apis:list")) | {
        "api": api
    }


def _breadcrumbs(api: Api) -> list[tuple[str, str]]:
    return [("APIs", reverse("apis:list")), (api.display_name, api.get_absolute_url())]


def _form_errors(form: Any, error: ValidationError) -> None:
    """A service's refusal, beside the fields it names (the rest above the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, problems in error.message_dict.items():
        if field == "display_name_key":
            field = "display_name"
        form.add_error(field if field in form.fields else None, problems)


# --- The list and + Add API ----------------------------------------------------------


@require_GET
@administrator_required
def api_list(request: HttpRequest) -> HttpResponse:
    return console.list_page(
        request,
        "apis/console_api_list.html",
        title="APIs",
        items=Api.objects.with_operation_count().with_product_count().search,
        search_label="Search by name, ID or description",
        sorts=console.NAME_SORTING,
        context={
            "add_url": reverse("apis:create"),
            "add_label": "+ Add API",
            "intro": APIS_INTRO,
        },
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def api_create(request: HttpRequest) -> HttpResponse:
    form = ApiImportForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        try:
            api = services.create_api(document=form.document, **form.fields_for_service())
        except ValidationError as error:
            _form_errors(form, error)
        except IntegrityError:
            form.add_error(None, "An API with this name or ID was just created. Try another.")
        else:
            count = api.operations.count()
            messages.success(
                request,
                f"Imported {api.display_name} with {_plural(count, 'operation')}. Add it to a "
                "product under Products so that developers can see it.",
            )
            return redirect(api)
    return render(
        request,
        "apis/console_api_import.html",
        {"form": form, "title": "Import an API", "list_url": reverse("apis:list")},
    )


# --- An API's pages -----------------------------------------------------------------


def _tags(api: Api) -> list[str]:
    """Every tag of the API's operations, in the order they first appear."""
    seen: dict[str, None] = {}
    for tags in api.operations.values_list("tags", flat=True):
        for tag in tags.split("\n"):
            if tag:
                seen.setdefault(tag, None)
    return list(seen)


@require_GET
@administrator_required
def api_detail(request: HttpRequest, name: str) -> HttpResponse:
    api = _api(name)
    rules: dict[Any, list[Any]] = restricted_keys(api)
    by_operation: dict[str, list[Any]] = {}
    for (kind, target), groups in rules.items():
        if kind == Restriction.Kind.OPERATION:
            by_operation.setdefault(target.lower(), []).extend(groups)
    operations = paginate(request, api.operations.all(), OPERATIONS_PER_PAGE)
    rows = [
        {"operation": operation, "groups": by_operation.get(operation.name.lower(), [])}
        for operation in operations
    ]
    restrictions = list(
        Restriction.objects.filter(api=api).select_related("group").order_by("kind", "target")
    )
    tags = [{"tag": tag, "groups": rules.get(("tag", tag), [])} for tag in _tags(api)]
    return render(
        request,
        "apis/console_api_detail.html",
        _page(api, "overview")
        | {
            "page": operations,
            "rows": rows,
            "tags": tags,
            "restrictions": restrictions,
            "operation_count": operations.paginator.count,
        }
        | activity.history("api", api.pk, request.path),
    )


@require_GET
@administrator_required
def api_products(request: HttpRequest, name: str) -> HttpResponse:
    api = _api(name)
    links = (
        ProductApi.objects.filter(api=api)
        .select_related("product", "added_by")
        .order_by("product__display_name_key")
    )
    return render(
        request,
        "apis/console_api_products.html",
        _page(api, "products") | {"page": paginate(request, links)},
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def api_add_to_products(request: HttpRequest, name: str) -> HttpResponse:
    api = _api(name)
    products_url = reverse("apis:products", args=[api.name])

    def select(picked: console.Picked) -> HttpResponse:
        added = 0
        for product in picked.items:
            added += services.add_apis(product=product, apis=[api], added_by=request.user)
        names = ", ".join(sorted(product.display_name for product in picked.items))
        if added:
            messages.success(request, f"{api.display_name} is now in {names}.")
        else:
            messages.info(request, f"{api.display_name} was already in {names}.")
        return redirect(products_url)

    return console.picker_page(
        request,
        console.Picker(
            offers=PRODUCTS,
            title=f"Add {api.display_name} to products",
            help="Tick the products that should contain this API, and press Select. Whoever "
            "sees a product sees its APIs.",
            taken_label="Contains it",
            cancel_url=products_url,
            breadcrumbs=_breadcrumbs(api),
            empty="There are no products yet. Create one under Products first.",
        ),
        candidates=Product.objects.order_by("display_name_key", "pk"),
        links=ProductApi.objects.filter(api=api),
        link_field="product",
        select=select,
    )


def _remove_confirmation(
    api: Api, product: Product, *, cancel_url: str, breadcrumbs: list[tuple[str, str]]
) -> console.Confirmation:
    return console.Confirmation(
        title=f"Take {api.display_name} out of {product.display_name}?",
        text=f"Developers who see {api.display_name} only through {product.display_name} will "
        f"no longer see it in the portal. The API and the product are kept; you can put the "
        "API back at any time.",
        button="Remove",
        cancel_url=cancel_url,
        breadcrumbs=breadcrumbs,
    )


def _remove(api: Api, product: Product) -> str | None:
    if not services.remove_api(product=product, api=api):
        return None
    return f"{api.display_name} is no longer in {product.display_name}."


@require_http_methods(["GET", "POST"])
@administrator_required
def api_remove_from_product(request: HttpRequest, name: str, product: str) -> HttpResponse:
    api = _api(name)
    link = get_object_or_404(
        ProductApi.objects.select_related("product"), api=api, product__name=product
    )
    products_url = reverse("apis:products", args=[api.name])
    return console.confirmed(
        request,
        _remove_confirmation(
            api, link.product, cancel_url=products_url, breadcrumbs=_breadcrumbs(api)
        ),
        act=lambda: _remove(api, link.product),
        then=products_url,
        nothing_done=f"{api.display_name} was not in {link.product.display_name}.",
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def api_update(request: HttpRequest, name: str) -> HttpResponse:
    api = _api(name)
    return console.settings_page(
        request,
        "apis/console_api_settings.html",
        entity=api,
        form_class=ApiSettingsForm,
        save=lambda **changes: services.update_api(api=api, **changes),
        noun="API",
        context=_page(api, "settings"),
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def api_delete(request: HttpRequest, name: str) -> HttpResponse:
    api = _api(name)
    error = ""
    if request.method == "POST":
        try:
            summary = subscription_services.delete_api(
                api=api, delete_subscriptions=request.POST.get("delete_subscriptions") == "on"
            )
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            messages.success(request, summary.message("API"))
            return redirect("apis:list")
    products = [link.product.display_name for link in api.product_links.select_related("product")]
    operations = api.operations.count()
    restrictions = api.restrictions.count()
    subscriptions = api.subscriptions.count()
    lost = [
        "The API, with its OpenAPI document and settings.",
        f"Its {_plural(operations, 'operation')}"
        + (f" and {_plural(restrictions, 'restriction')} on them." if restrictions else "."),
    ]
    if products:
        lost.append(
            f"Its place in {_plural(len(products), 'product')}: {', '.join(products)}. "
            "Developers no longer see it there."
        )
    if subscriptions:
        lost.append(
            f"Its {_plural(subscriptions, 'subscription')} to this API alone, if you tick the "
            "box below: their keys stop working."
        )
    return console.confirm_page(
        request,
        console.Confirmation(
            title=f"Delete the API {api.display_name}?",
            text="This can't be undone.",
            button="Delete",
            cancel_url=api.get_absolute_url(),
            breadcrumbs=_breadcrumbs(api),
            lost=lost,
            kept=["The products themselves, their groups and subscriptions.", "Every other API."],
            option=(
                (
                    "delete_subscriptions",
                    f"Also delete its {_plural(subscriptions, 'subscription')}",
                )
                if subscriptions
                else None
            ),
        ),
        error=error,
    )


# --- Re-import ----------------------------------------------------------------------


def _preview(
    request: HttpRequest, api: Api, form: Any, *, version: int, notice: str = ""
) -> HttpResponse:
    """What the new document would change, with Confirm (the document again) and Cancel."""
    assert form.document is not None
    changes = services.preview_document(api=api, document=form.document)
    return render(
        request,
        "apis/console_api_reimport_preview.html",
        _page(api, "overview")
        | {
            "changes": changes,
            "text": form.cleaned_data["document_text"],
            "version": version,
            "notice": notice,
            "document": form.document,
        },
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def api_reimport(request: HttpRequest, name: str) -> HttpResponse:
    """Upload or paste a new document; a valid one is shown as a preview to confirm."""
    api = _api(name)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        return _preview(request, api, form, version=api.version)
    return render(
        request,
        "apis/console_api_reimport.html",
        _page(api, "overview") | {"form": form},
    )


@require_POST
@administrator_required
def api_reimport_confirm(request: HttpRequest, name: str) -> HttpResponse:
    """Apply a previewed document, unless the API changed since the preview."""
    api = _api(name)
    form = ReimportConfirmForm(request.POST)
    if not form.is_valid():
        # A document changed on the way back, or a forged post: start again.
        return render(
            request,
            "apis/console_api_reimport.html",
            _page(api, "overview") | {"form": form},
            status=400,
        )
    assert form.document is not None
    try:
        changes = services.replace_document(
            api=api, document=form.document, expected_version=form.cleaned_data["version"]
        )
    except ConcurrentChangeError as error:
        current = error.current
        return _preview(
            request,
            current,
            form,
            version=current.version,
            notice="The API changed since this preview was made (someone else re-imported it "
            "or saved its settings), so nothing was replaced. This is the difference with the "
            "API as it is now; confirm again to replace it.",
        )
    if changes.is_empty:
        text = f"Re-imported {api.display_name}: its operations are unchanged."
    else:
        text = (
            f"Re-imported {api.display_name}: {_plural(len(changes.added), 'operation')} added, "
            f"{len(changes.changed):,} changed, {len(changes.removed):,} removed."
        )
    messages.success(request, text)
    return redirect(api)


# --- Restrictions -------------------------------------------------------------------


def _restrict_page(
    request: HttpRequest, api: Api, *, kind: str, target: str, label: str
) -> HttpResponse:
    overview = api.get_absolute_url()

    def select(picked: console.Picked) -> HttpResponse:
        try:
            added = services.restrict(
                api=api, kind=kind, target=target, groups=picked.items, added_by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(overview)
        names = ", ".join(sorted(group.display_name for group in picked.items))
        if added:
            messages.success(
                request,
                f"{label} is now shown only to {names} (among those who can see "
                f"{api.display_name}) and to administrators.",
            )
        else:
            messages.info(request, f"{label} was already shown to {names}.")
        return redirect(overview)

    return console.picker_page(
        request,
        console.Picker(
            offers=console.GROUPS,
            title=f"Restrict {label}",
            help=f"Tick the groups that may see {label}, and press Select. Other developers "
            f"who see {api.display_name} won't see it; administrators always do.",
            taken_label="Allowed",
            cancel_url=overview,
            breadcrumbs=_breadcrumbs(api),
            empty="There are no groups.",
        ),
        candidates=Group.objects.exclude(name=Group.ADMINISTRATORS).order_by(
            "type", "display_name_key", "pk"
        ),
        links=Restriction.objects.filter(api=api, kind=kind, target=target),
        link_field="group",
        select=select,
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def api_restrict_operation(request: HttpRequest, name: str, operation: str) -> HttpResponse:
    api = _api(name)
    found: Operation = get_object_or_404(api.operations, name__iexact=operation)
    return _restrict_page(
        request,
        api,
        kind=Restriction.Kind.OPERATION,
        target=found.name,
        label=f"the operation {found.display_name}",
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def api_restrict_tag(request: HttpRequest, name: str, tag: str) -> HttpResponse:
    api = _api(name)
    if tag not in _tags(api):
        raise Http404("No operation has this tag.")
    return _restrict_page(
        request, api, kind=Restriction.Kind.TAG, target=tag, label=f"the operations tagged {tag}"
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def api_unrestrict(request: HttpRequest, name: str, pk: int) -> HttpResponse:
    api = _api(name)
    rule = get_object_or_404(Restriction.objects.select_related("group"), api=api, pk=pk)
    what = (
        f"the operation {rule.target}"
        if rule.kind == Restriction.Kind.OPERATION
        else f"the operations tagged {rule.target}"
    )

    def lift() -> str | None:
        if not services.unrestrict(api=api, kind=rule.kind, target=rule.target, group=rule.group):
            return None
        return f"{rule.group.display_name} no longer has a restriction's access to {what}."

    return console.confirmed(
        request,
        console.Confirmation(
            title=f"Remove {rule.group.display_name} from the groups allowed {what}?",
            text=f"Members of {rule.group.display_name} will no longer see {what}, unless "
            "another of their groups is allowed. If no group is left, the restriction is "
            f"lifted and everyone who sees {api.display_name} sees it.",
            button="Remove",
            cancel_url=api.get_absolute_url(),
            breadcrumbs=_breadcrumbs(api),
        ),
        act=lift,
        then=api.get_absolute_url(),
        nothing_done="That restriction was already removed.",
    )


# --- A product's APIs tab -------------------------------------------------------------


def _product_page(product: Product) -> dict[str, Any]:
    listed = ("Products", "products:list")
    return console.entity_context(product, tab="apis", tabs=PRODUCT_TABS, listed=listed) | {
        "product": product
    }


def _operation_count() -> Coalesce:
    """How many operations the linked API has, for the page's rows only."""
    counted = (
        Operation.objects.filter(api=OuterRef("api_id"))
        .order_by()
        .values("api")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


@require_GET
@administrator_required
def product_apis(request: HttpRequest, product: str) -> HttpResponse:
    found = get_object_or_404(Product, name=product)
    links = (
        ProductApi.objects.filter(product=found)
        .select_related("api", "added_by")
        .annotate(operation_count=_operation_count())
        .order_by("api__display_name_key")
    )
    return render(
        request,
        "apis/console_product_apis.html",
        _product_page(found) | {"page": paginate(request, links)},
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def product_add_apis(request: HttpRequest, product: str) -> HttpResponse:
    found = get_object_or_404(Product, name=product)
    tab_url = reverse("apis:product_apis", args=[found.name])

    def select(picked: console.Picked) -> HttpResponse:
        added = services.add_apis(product=found, apis=picked.items, added_by=request.user)
        names = ", ".join(sorted(api.display_name for api in picked.items))
        if added:
            messages.success(request, f"{found.display_name} now contains {names}.")
        else:
            messages.info(request, f"{found.display_name} already contained {names}.")
        return redirect(tab_url)

    return console.picker_page(
        request,
        console.Picker(
            offers=APIS,
            title=f"Add APIs to {found.display_name}",
            help="Tick the APIs this product should contain, and press Select. Whoever sees "
            "the product sees its APIs.",
            taken_label="In the product",
            cancel_url=tab_url,
            breadcrumbs=[("Products", reverse("products:list")), (found.display_name, tab_url)],
            empty="There are no APIs yet. Import one under APIs first.",
        ),
        candidates=Api.objects.order_by("display_name_key", "pk"),
        links=ProductApi.objects.filter(product=found),
        link_field="api",
        select=select,
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def product_remove_api(request: HttpRequest, product: str, api: str) -> HttpResponse:
    found = get_object_or_404(Product, name=product)
    link = get_object_or_404(ProductApi.objects.select_related("api"), product=found, api__name=api)
    tab_url = reverse("apis:product_apis", args=[found.name])
    return console.confirmed(
        request,
        _remove_confirmation(
            link.api,
            found,
            cancel_url=tab_url,
            breadcrumbs=[("Products", reverse("products:list")), (found.display_name, tab_url)],
        ),
        act=lambda: _remove(link.api, found),
        then=tab_url,
        nothing_done=f"{link.api.display_name} was not in {found.display_name}.",
    )
