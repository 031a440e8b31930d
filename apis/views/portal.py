"""The developer portal's APIs: the list, an API's reference, and its document to download.

Who sees an API is `Api.objects.visible_to` (through the products they see);
an API they may not see answers the same 404 as one that doesn't exist, and
operations restricted to other groups are left out of the page and the file.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from apis import export, reference, reference_html
from apis.models import Api, Operation, ProductApi, Restriction, hidden_operations
from groups.models import Group, Viewer
from portal import preview
from portal.lists import paginate, search_query
from portal.models import is_administrator
from products.models import Product

API_PAGE = 20
REFERENCE_CACHE_SECONDS = 24 * 3600


def gateway_urls(request: HttpRequest, api: Api) -> list[str]:
    """The API's addresses at the gateway, the gateway's own scheme first.

    PORTICO_GATEWAY_URL, or the address this page was reached at, then the
    API's URL suffix; one address for each of http and https it accepts.
    """
    base = settings.PORTICO_GATEWAY_URL or f"{request.scheme}://{request.get_host()}"
    split = urlsplit(base)
    suffix = f"/{api.path}" if api.path else ""
    schemes: list[str] = [s for s in ("https", "http") if s in api.protocol_list]
    schemes = sorted(schemes or [split.scheme], key=lambda scheme: scheme != split.scheme)
    path = split.path.rstrip("/") + suffix
    return [urlunsplit((scheme, split.netloc, path or "/", "", "")) for scheme in schemes]


def _visible_api(request: HttpRequest, name: str, *, document: bool) -> tuple[Api, Viewer]:
    """The API if the viewer may see it; otherwise the 404 of a missing one.

    The document (up to megabytes of JSON) is read only when asked for.
    """
    viewer, _ = preview.viewer_for(request)
    apis = Api.objects.visible_to(viewer).filter(name=name)
    api = (apis if document else apis.defer("document")).first()
    if api is None:
        raise Http404("No API here.")
    return api, viewer


# --- The list --------------------------------------------------------------------------


def _tag_index(viewer: Viewer, apis: Any) -> tuple[list[str], dict[str, set[int]], dict[int, int]]:
    """The tags the viewer may see among these APIs, and, for APIs with restrictions,
    which of them carry each tag and how many operations each hides.

    Unrestricted APIs are read as distinct tag strings; only APIs with
    restrictions are read operation by operation. Four queries at most.
    """
    ids = apis.values("pk")
    rules: dict[int, dict[tuple[str, str], set[int]]] = defaultdict(dict)
    if not is_administrator(viewer):
        for api_id, kind, target, group_id in Restriction.objects.filter(api__in=ids).values_list(
            "api_id", "kind", "target", "group_id"
        ):
            key = (kind, target.lower() if kind == Restriction.Kind.OPERATION else target)
            rules[api_id].setdefault(key, set()).add(group_id)
    tags: set[str] = set()
    for joined in (
        Operation.objects.filter(api__in=ids)
        .exclude(api_id__in=list(rules))
        .exclude(tags="")
        .values_list("tags", flat=True)
        .distinct()
    ):
        tags.update(tag for tag in joined.split("\n") if tag)
    restricted_tags: dict[str, set[int]] = defaultdict(set)
    hidden_count: dict[int, int] = defaultdict(int)
    if rules:
        mine = set(Group.objects.ids_for_user(viewer))
        for api_id, name, joined in Operation.objects.filter(api_id__in=list(rules)).values_list(
            "api_id", "name", "tags"
        ):
            own = [tag for tag in joined.split("\n") if tag]
            needed = [rules[api_id].get(("operation", name.lower()))] + [
                rules[api_id].get(("tag", tag)) for tag in own
            ]
            if any(groups is not None and not groups & mine for groups in needed):
                hidden_count[api_id] += 1
                continue
            for tag in own:
                restricted_tags[tag].add(api_id)
                tags.add(tag)
    return sorted(tags, key=str.casefold), restricted_tags, hidden_count


@login_not_required
@require_GET
def api_list(request: HttpRequest) -> HttpResponse:
    """The APIs the visitor may see, searchable and filtered by product or tag."""
    viewer, _ = preview.viewer_for(request)
    query = search_query(request)
    visible = Api.objects.visible_to(viewer)
    products = list(
        Product.objects.visible_to(viewer)
        .filter(pk__in=ProductApi.objects.values("product_id"))
        .order_by("display_name_key")
        .only("name", "display_name")
    )
    tags, restricted_tags, hidden_count = _tag_index(viewer, visible)
    product = request.GET.get("product", "")
    chosen_product = next((p for p in products if p.name == product), None)
    tag = request.GET.get("tag", "")
    tag = tag if tag in tags else ""
    apis = visible.search(query)
    if chosen_product is not None:
        apis = apis.in_product(chosen_product)
    if tag:
        apis = apis.filter(
            (Q(pk__in=Api.objects.tagged(tag).values("pk")) & ~Q(pk__in=list(hidden_count)))
            | Q(pk__in=list(restricted_tags.get(tag, ())))
        )
    apis = (
        apis.with_operation_count()
        .prefetch_related(
            Prefetch(
                "products",
                queryset=Product.objects.visible_to(viewer)
                .order_by("display_name_key")
                .only("name", "display_name"),
                to_attr="shown_products",
            )
        )
        .order_by("display_name_key", "pk")
    )
    page = paginate(request, apis, per_page=API_PAGE)
    for api in page:
        api.shown_operation_count = api.operation_count - hidden_count.get(api.pk, 0)  # type: ignore[attr-defined]
    return render(
        request,
        "apis/portal_list.html",
        {
            "page": page,
            "query": query,
            "products": products,
            "chosen_product": chosen_product,
            "tags": tags,
            "tag": tag,
            "filtered": bool(query or chosen_product or tag),
        },
    )


# --- The reference ----------------------------------------------------------------------


def _reference(api: Api) -> dict[str, Any]:
    """The API's reference for every viewer: its operations by tag and its named schemas,
    each already rendered to HTML, and the named schemas each one links to.

    Cached per version of the API (every save is a new version); whom an
    operation is hidden from, and so which schemas are reached, is decided
    after, per request.
    """
    key = f"apis:reference:{api.pk}:{api.version}:{api.updated_at.timestamp()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    built = reference.build(api.document)
    sections = []
    seen: set[str] = set()
    for section in built.sections:
        operations = []
        for operation in section.operations:
            anchor = f"op-{operation.name}"
            if anchor in seen:
                anchor = f"{anchor}-{section.anchor}"
            seen.add(anchor)
            operations.append(
                {
                    "key": operation.key,
                    "anchor": anchor,
                    "method": operation.method,
                    "path": operation.path,
                    "summary": operation.summary or operation.name,
                    "refs": operation.refs,
                    "toc": reference_html.toc_entry(operation, anchor),
                    "html": reference_html.operation(operation, anchor),
                }
            )
        sections.append(
            {
                "tag": section.tag,
                "anchor": section.anchor,
                "description": section.description,
                "operations": operations,
            }
        )
    schemas = [
        {
            "name": schema.name,
            "anchor": schema.anchor,
            "html": reference_html.named_schema(schema),
        }
        for schema in built.schemas.values()
    ]
    links = {schema.name: schema.refs for schema in built.schemas.values()}
    cached = {"sections": sections, "schemas": schemas, "links": links}
    cache.set(key, cached, REFERENCE_CACHE_SECONDS)
    return cached


@login_not_required
@require_GET
def api_reference(request: HttpRequest, name: str) -> HttpResponse:
    """One API's reference, as the viewer may see it; hidden is the 404 of missing.

    Operations hidden from the viewer are left out, and so are the named
    schemas that only they lead to.
    """
    api, viewer = _visible_api(request, name, document=False)
    hidden = hidden_operations(api, viewer)
    built = _reference(api)
    sections = []
    linked: set[str] = set()
    for section in built["sections"]:
        shown = [op for op in section["operations"] if op["key"] not in hidden]
        if shown:
            sections.append({**section, "operations": shown})
            for operation in shown:
                linked.update(operation["refs"])
    reached = reference.reachable(built["links"], linked)
    schemas = [schema for schema in built["schemas"] if schema["name"] in reached]
    products = (
        Product.objects.visible_to(viewer)
        .filter(pk__in=ProductApi.objects.filter(api=api).values("product_id"))
        .order_by("display_name_key")
    )
    urls = gateway_urls(request, api)
    return render(
        request,
        "apis/portal_reference.html",
        {
            "api": api,
            "sections": sections,
            "schemas": schemas,
            "operation_count": sum(len(section["operations"]) for section in sections),
            "products": products,
            "base_url": urls[0],
            "other_urls": urls[1:],
            "key_header": export.KEY_HEADER,
            "key_query": export.KEY_QUERY,
        },
    )


@login_not_required
@require_GET
def api_document(request: HttpRequest, name: str, extension: str) -> HttpResponse:
    """The API's document to download, filtered for the viewer, pointing at the gateway."""
    api, viewer = _visible_api(request, name, document=True)
    document = export.filtered(
        api.document,
        hidden=hidden_operations(api, viewer),
        base_urls=gateway_urls(request, api),
        subscription_required=api.subscription_required,
    )
    if extension == "yaml":
        body, content_type = export.as_yaml(document), "application/yaml; charset=utf-8"
    else:
        body, content_type = export.as_json(document), "application/json; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{api.name}.openapi.{extension}"
    )
    return response
