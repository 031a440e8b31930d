"""APIs, their operations and the products that contain them, in Azure API Management's
wire format (Api, ApiOperation, ProductApi and ApiProduct of api-version 2024-05-01).

An API is created from a document sent in the PUT (format and value) or from
its settings alone. Portico reads OpenAPI 3.0, 3.1 and Swagger 2.0 documents
sent inline; it fetches nothing from the network, so the -link formats are
refused, and so are WADL, WSDL, GraphQL, OData and gRPC.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from apis import documents
from apis import services as api_services
from apis.models import Api, ProductApi
from management_api import serializers
from management_api.azure import (
    api_view,
    apply_filter,
    check_if_match,
    expected_version,
    head_response,
    json_response,
    page,
    read_json,
)
from management_api.errors import ApiError
from management_api.views.resources import (
    ASSOCIATION,
    ENTITY,
    PRODUCT_FILTERS,
    _changes,
    _entity,
    _get,
    _validation,
)
from portal.entities import ConcurrentChangeError
from products.models import Product
from subscriptions import services as subscription_services

API_TAKEN = "Another API has this ID, name or URL suffix."
API_FILTERS = {
    "name": "name",
    "displayName": "display_name",
    "description": "description",
    "serviceUrl": "service_url",
    "path": "path",
}
OPERATION_FILTERS = {
    "name": "name",
    "displayName": "display_name",
    "method": "method",
    "description": "description",
    "urlTemplate": "url_template",
}
# Azure's Api Product - List By Apis filters on displayName only.
API_PRODUCT_FILTERS = {"displayName": PRODUCT_FILTERS["displayName"]}

# The formats Portico reads, and how each is stored.
FORMATS = {
    "openapi": Api.Format.OPENAPI,
    "openapi+json": Api.Format.OPENAPI_JSON,
    "swagger-json": Api.Format.SWAGGER_JSON,
}
# Azure's formats that name a document to download.
LINK_FORMATS = frozenset(
    {
        "openapi-link",
        "openapi+json-link",
        "swagger-link-json",
        "wadl-link-json",
        "wsdl-link",
        "graphql-link",
        "odata-link",
        "grpc-link",
    }
)
ACCEPTED = "openapi (YAML text), openapi+json (JSON text or object) or swagger-json (JSON text)"
# Options a PUT may send that are no property of an API.
API_OPTIONS = frozenset({"format", "value"})


def _refusal(message: str, target: str) -> ApiError:
    return ApiError(
        400,
        "ValidationError",
        message,
        [{"code": "ValidationError", "target": target, "message": message}],
    )


def _document(properties: dict[str, Any]) -> tuple[documents.Document | None, str]:
    """The document a PUT sends (format and value), read and checked; (None, "") without one."""
    fmt, value = properties.get("format"), properties.get("value")
    if fmt is None and value is None:
        return None, ""
    if not isinstance(fmt, str) or not fmt:
        raise _refusal(f"'value' needs its 'format': {ACCEPTED}.", "format")
    if fmt in LINK_FORMATS:
        raise _refusal(
            f"Portico fetches nothing from the network, so format '{fmt}' can't be imported. "
            f"Send the document itself in 'value' with format {ACCEPTED}.",
            "format",
        )
    if fmt not in FORMATS:
        raise _refusal(
            f"Portico reads OpenAPI 3.0, 3.1 and Swagger 2.0 documents only; format '{fmt[:40]}' "
            f"isn't one. Use {ACCEPTED}.",
            "format",
        )
    if fmt == "openapi+json" and isinstance(value, dict):
        value = json.dumps(value, indent=2, ensure_ascii=False)
    if not isinstance(value, str) or not value.strip():
        raise _refusal(f"Format '{fmt}' needs the document as text in 'value'.", "value")
    try:
        document = documents.read(value)
    except documents.DocumentError as error:
        details = [
            {"code": "ValidationError", "target": "value", "message": str(problem)}
            for problem in error.problems
        ]
        raise ApiError(
            400,
            "ValidationError",
            f"The document can't be imported: {error}",
            details,
        ) from None
    if document.is_swagger != (fmt == "swagger-json"):
        said = "Swagger 2.0" if document.is_swagger else f"OpenAPI {document.version}"
        wanted = "swagger-json" if document.is_swagger else "openapi or openapi+json"
        raise _refusal(
            f"The document is {said}, but format is '{fmt}'; send it with format {wanted}.",
            "format",
        )
    return document, FORMATS[fmt]


def _api_changes(properties: dict[str, Any]) -> dict[str, Any]:
    """The model changes a PUT or PATCH asks for, protocols as the model keeps them."""
    properties = dict(properties)
    protocols = properties.get("protocols")
    if "protocols" in properties:
        if not isinstance(protocols, list) or not all(isinstance(p, str) for p in protocols):
            raise _refusal("'protocols' must be a list, such as [\"https\"].", "protocols")
        properties["protocols"] = ",".join(protocols)
    echoed = {
        "type": "http",
        "isCurrent": True,
        "subscriptionKeyParameterNames": serializers.SUBSCRIPTION_KEY_NAMES,
    }
    for name, only in echoed.items():
        if name in properties and properties[name] is not None and properties[name] != only:
            raise _refusal(
                f"Portico serves one kind of API, whose '{name}' is {json.dumps(only)}.", name
            )
    return _changes(properties, serializers.API, options=API_OPTIONS)


# Which property a constraint of the whole row is about.
CONSTRAINT_TARGETS = {
    str(constraint.violation_error_message): target
    for constraint in Api._meta.constraints
    for name, target in (("apis_api_path_version_unique", "path"), ("apis_api_name_ci", "name"))
    if constraint.name == name
}


def _api_validation(error: ValidationError) -> ApiError:
    """A model's refusal in Azure's shape; a clash of URL suffix names 'path'."""
    refused = _validation(error)
    for detail in refused.details:
        if detail.get("target") == NON_FIELD_ERRORS:
            detail["target"] = CONSTRAINT_TARGETS.get(detail["message"], NON_FIELD_ERRORS)
    return refused


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except ConcurrentChangeError:
        raise ApiError(412, "PreconditionFailed", "The API changed since it was read.") from None
    except ValidationError as error:
        raise _api_validation(error) from None
    except IntegrityError:
        raise ApiError(409, "Conflict", API_TAKEN) from None


def _api(api_id: str) -> Api:
    return _get(Api.objects, f"API '{api_id}'", name=api_id)


# --- APIs ------------------------------------------------------------------------


@api_view({"GET"})
def api_list(request: HttpRequest) -> HttpResponse:
    found = apply_filter(request, Api.objects.defer("document").order_by("name"), API_FILTERS)
    return page(request, found, serializers.api)


@api_view(ENTITY)
def api_entity(request: HttpRequest, api_id: str) -> HttpResponse:
    def delete(found: Api) -> HttpResponse:
        with _refusals():
            subscription_services.delete_api(
                api=found,
                delete_subscriptions=request.GET.get("deleteSubscriptions", "").lower() == "true",
            )
        # Azure's SDK (begin_delete) takes 202 or 204, and raises on 200.
        return HttpResponse(status=204)

    return _entity(
        request,
        Api.objects.filter(name=api_id).first(),
        what=f"API '{api_id}'",
        serialize=serializers.api,
        put=lambda found: _put_api(request, api_id, found),
        patch=lambda found, properties: _patch_api(request, found, properties),
        delete=delete,
    )


def _patch_api(request: HttpRequest, found: Api, properties: dict[str, Any]) -> Api:
    sent = sorted(API_OPTIONS & set(properties))
    if sent:
        raise _refusal(
            f"A PATCH changes settings only; send {' and '.join(sent)} with a PUT to "
            "import a new document.",
            sent[0],
        )
    return _update_api(request, found, _api_changes(properties))


def _put_api(request: HttpRequest, api_id: str, found: Api | None) -> HttpResponse:
    properties = read_json(request)
    changes = _api_changes(properties)
    document, document_format = _document(properties)
    if found is not None:
        check_if_match(request, found.version)
        found = _update_api(request, found, changes, document, document_format)
        return json_response(serializers.api(found), version=found.version)
    with _refusals():
        created = api_services.create_api(
            name=api_id, document=document, document_format=document_format, **changes
        )
    return json_response(serializers.api(created), status=201, version=created.version)


def _update_api(
    request: HttpRequest,
    found: Api,
    changes: dict[str, Any],
    document: documents.Document | None = None,
    document_format: str = "",
) -> Api:
    """Save new settings, and a new document when one came; all or nothing."""
    version = expected_version(request)
    with _refusals(), transaction.atomic():
        if document is not None:
            api_services.replace_document(
                api=found,
                document=document,
                expected_version=version,
                document_format=document_format,
            )
            if not changes:
                return Api.objects.get(pk=found.pk)
            version = None
        return api_services.update_api(api=found, expected_version=version, **changes)


# --- Operations ----------------------------------------------------------------------


@api_view({"GET"})
def operation_list(request: HttpRequest, api_id: str) -> HttpResponse:
    found = _api(api_id)
    # The API's own manager: each operation's .api is this one API, read once.
    operations = apply_filter(request, found.operations.order_by("position"), OPERATION_FILTERS)
    return page(request, operations, serializers.operation)


@api_view({"GET", "HEAD"})
def operation_entity(request: HttpRequest, api_id: str, operation_id: str) -> HttpResponse:
    """One operation. Operations change only when the document does, which is a new
    version of the API: the API's entity tag is theirs."""
    found = _api(api_id)
    operation = _get(
        found.operations,
        f"Operation '{operation_id}' of API '{api_id}'",
        name=operation_id,
    )
    if request.method == "HEAD":
        return head_response(found.version)
    return json_response(serializers.operation(operation), version=found.version)


# --- Products and APIs -------------------------------------------------------------------


@api_view({"GET"})
def api_product_list(request: HttpRequest, api_id: str) -> HttpResponse:
    found = _api(api_id)
    products = Product.objects.filter(api_links__api=found).order_by("name")
    products = apply_filter(request, products, API_PRODUCT_FILTERS)
    return page(request, products, serializers.api_product)


@api_view({"GET"})
def product_api_list(request: HttpRequest, product_id: str) -> HttpResponse:
    product = _get(Product.objects, f"Product '{product_id}'", name=product_id)
    found = Api.objects.in_product(product).defer("document").order_by("name")
    found = apply_filter(request, found, API_FILTERS)
    return page(request, found, lambda item: serializers.product_api(item, product.name))


@api_view(ASSOCIATION)
def product_api(request: HttpRequest, product_id: str, api_id: str) -> HttpResponse:
    product = _get(Product.objects, f"Product '{product_id}'", name=product_id)
    found = _get(Api.objects.defer("document"), f"API '{api_id}'", name=api_id)
    if request.method == "HEAD":
        linked = ProductApi.objects.filter(product=product, api=found).exists()
        return HttpResponse(status=204 if linked else 404)
    if request.method == "PUT":
        added = api_services.add_apis(
            product=product,
            apis=[found],
            added_by=request.api_user,  # type: ignore[attr-defined]
        )
        return json_response(
            serializers.product_api(found, product.name), status=201 if added else 200
        )
    removed = api_services.remove_api(product=product, api=found)
    return HttpResponse(status=200 if removed else 204)
