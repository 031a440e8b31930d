"""The parts of Azure API Management's wire format that every resource shares:
the service path, api-version, bearer tokens, entity tags, paging and $filter."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from audit import context as audit_context
from audit.models import Record
from management_api import services
from management_api.errors import ApiError
from management_api.models import AccessToken, hash_token
from portal.models import is_administrator

SUPPORTED_API_VERSIONS = {
    "2021-08-01",
    "2022-08-01",
    "2023-03-01-preview",
    "2023-05-01-preview",
    "2023-09-01-preview",
    "2024-05-01",
}
DEFAULT_TOP = 100
MAX_TOP = 1000
MAX_PAGING = 1_000_000_000
# Azure's bodies nest a few levels; far deeper is a probe, refused before use.
MAX_JSON_DEPTH = 32
TOO_DEEP = object()
# Half of a UTF-16 pair, which JSON's \u escapes can carry but no text can store.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
PROVIDER = "Microsoft.ApiManagement/service"


def service_id() -> str:
    """The Azure resource ID of the one service Portico is."""
    return (
        f"/subscriptions/{settings.PORTICO_AZURE_SUBSCRIPTION_ID}"
        f"/resourceGroups/{settings.PORTICO_AZURE_RESOURCE_GROUP}"
        f"/providers/Microsoft.ApiManagement/service/{settings.PORTICO_AZURE_SERVICE_NAME}"
    )


def resource(kind: str, name: str, properties: dict[str, Any]) -> dict[str, Any]:
    """Azure's envelope around an entity's properties."""
    return {
        "id": f"{service_id()}/{kind}/{name}",
        "type": f"{PROVIDER}/{kind}",
        "name": name,
        "properties": properties,
    }


def etag(version: int) -> str:
    return f'"{version}"'


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def json_response(body: Any, status: int = 200, version: int | None = None) -> JsonResponse:
    response = JsonResponse(body, status=status, safe=False)
    if version is not None:
        response["ETag"] = etag(version)
    return response


def head_response(version: int | None = None) -> HttpResponse:
    response = HttpResponse(status=200)
    if version is not None:
        response["ETag"] = etag(version)
    return response


def require_if_match(request: HttpRequest, version: int) -> None:
    """PATCH and DELETE need If-Match: '*' or the current entity tag."""
    given = request.headers.get("If-Match")
    if not given:
        raise ApiError(400, "ValidationError", "The If-Match header is required.")
    check_if_match(request, version)


def check_if_match(request: HttpRequest, version: int) -> None:
    """Refuse with 412 when If-Match names another version (absent or '*' passes)."""
    given = request.headers.get("If-Match")
    if given is None or given.strip() == "*":
        return
    tags = [tag.strip() for tag in given.split(",")]
    if etag(version) not in tags and str(version) not in tags:
        raise ApiError(
            412,
            "PreconditionFailed",
            "The entity has been modified since it was read (its entity tag no longer matches).",
        )


def expected_version(request: HttpRequest) -> int | None:
    """The version an If-Match names, for the services' optimistic check."""
    given = (request.headers.get("If-Match") or "*").strip()
    if given == "*":
        return None
    try:
        return int(given.strip('"').removeprefix("W/").strip('"'))
    except ValueError:
        raise ApiError(
            412, "PreconditionFailed", "The If-Match entity tag names no version."
        ) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("number out of range")
    return value


def _shape(value: Any) -> tuple[int, bool]:
    """How deeply a parsed JSON value nests, and whether any text in it (keys too) holds a
    lone surrogate; walked without recursion."""
    deepest, surrogates = 0, False
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            surrogates = surrogates or LONE_SURROGATE.search(item) is not None
        elif isinstance(item, dict | list):
            deepest = max(deepest, level)
            if isinstance(item, dict):
                stack.extend((key, level) for key in item)
            children: Iterable[Any] = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest, surrogates


def read_json(request: HttpRequest) -> dict[str, Any]:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ApiError(413, "RequestEntityTooLarge", "The request body is too large.") from None
    try:
        body = json.loads(raw or b"{}", parse_constant=_refuse_constant, parse_float=_finite)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "ValidationError", "The request body is not valid JSON.") from None
    except RecursionError:
        body = TOO_DEEP
    depth, surrogates = (0, False) if body is TOO_DEEP else _shape(body)
    if body is TOO_DEEP or depth > MAX_JSON_DEPTH:
        raise ApiError(
            400,
            "ValidationError",
            f"The request body nests objects and arrays more than {MAX_JSON_DEPTH} levels deep.",
        )
    if surrogates:
        raise ApiError(
            400,
            "ValidationError",
            "Text can't contain lone surrogates (\\ud800 to \\udfff on their own): send "
            "characters as UTF-8, or as a pair of escapes.",
        )
    if "\\u0000" in raw.decode("utf-8", "replace"):
        raise ApiError(400, "ValidationError", "Text can't contain NUL characters.")
    if not isinstance(body, dict):
        raise ApiError(400, "ValidationError", "The request body must be a JSON object.")
    properties = body.get("properties", {})
    if not isinstance(properties, dict):
        raise ApiError(400, "ValidationError", "'properties' must be a JSON object.")
    return properties


def _authenticate(request: HttpRequest) -> AccessToken:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "AuthenticationFailed",
            "Send a personal access token: Authorization: Bearer <token>.",
        )
    found = (
        AccessToken.objects.usable()
        .select_related("user")
        .filter(token_hash=hash_token(token.strip()))
        .first()
    )
    if found is None:
        raise ApiError(401, "AuthenticationFailed", "The token is unknown, expired or revoked.")
    user = found.user
    if not is_administrator(user):
        raise ApiError(
            403, "AuthorizationFailed", "Only administrators may use the management API."
        )
    services.record_use(token=found)
    return found


def api_view(methods: set[str]) -> Callable[..., Callable[..., HttpResponse]]:
    """Wrap a management API view: service path, api-version, token, errors."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @login_not_required
        @wraps(view)
        def wrapper(
            request: HttpRequest,
            subscription_id: str,
            resource_group: str,
            service_name: str,
            **kwargs: Any,
        ) -> HttpResponse:
            try:
                if (
                    subscription_id.lower() != settings.PORTICO_AZURE_SUBSCRIPTION_ID.lower()
                    or resource_group.lower() != settings.PORTICO_AZURE_RESOURCE_GROUP.lower()
                    or service_name.lower() != settings.PORTICO_AZURE_SERVICE_NAME.lower()
                ):
                    raise ApiError(
                        404,
                        "ResourceNotFound",
                        f"The Resource '{PROVIDER}/{service_name}' under resource group "
                        f"'{resource_group}' was not found.",
                    )
                if "\x00" in request.path:
                    raise ApiError(404, "ResourceNotFound", "No such resource.")
                if any("\x00" in value for value in request.GET.values()):
                    raise ApiError(
                        400, "ValidationError", "Query parameters can't contain NUL characters."
                    )
                version = request.GET.get("api-version")
                if not version:
                    raise ApiError(
                        400,
                        "MissingApiVersionParameter",
                        "The api-version query parameter (?api-version=) is required.",
                    )
                if version not in SUPPORTED_API_VERSIONS:
                    raise ApiError(
                        400,
                        "InvalidApiVersionParameter",
                        f"The api-version '{version}' is invalid. The supported versions are "
                        f"'{','.join(sorted(SUPPORTED_API_VERSIONS))}'.",
                    )
                used = _authenticate(request)
                request.api_user = used.user  # type: ignore[attr-defined]
                if request.method not in methods:
                    raise ApiError(
                        405,
                        "MethodNotAllowed",
                        f"{request.method} is not allowed here; use {', '.join(sorted(methods))}.",
                    )
                actor = audit_context.token(
                    token_id=used.pk,
                    name=used.name,
                    owner=used.user.email,
                    via=Record.Via.API,
                    address=audit_context.request_address(request),
                )
                with audit_context.acting(actor):
                    return view(request, **kwargs)
            except ApiError as error:
                return error.response()

        return wrapper

    return decorate


def page(
    request: HttpRequest,
    queryset: QuerySet,
    serialize: Callable[[Any], dict],
    *,
    prepare: Callable[[list[Any]], None] | None = None,
) -> JsonResponse:
    """A list in Azure's shape: value, count and nextLink, paged by $top and $skip.

    prepare, given the page's items before they are serialized, may load
    what they need for all of them at once.
    """
    top = _int_param(request, "$top", DEFAULT_TOP, minimum=1)
    skip = _int_param(request, "$skip", 0, minimum=0)
    top = min(top, MAX_TOP)
    count = queryset.count()
    items = list(queryset[skip : skip + top])
    if prepare is not None:
        prepare(items)
    next_link = None
    if skip + top < count:
        query = request.GET.copy()
        query["$skip"] = str(skip + top)
        query["$top"] = str(top)
        next_link = request.build_absolute_uri(request.path) + "?" + urlencode(query, doseq=True)
    return json_response(
        {"value": [serialize(item) for item in items], "count": count, "nextLink": next_link}
    )


def _int_param(request: HttpRequest, name: str, default: int, *, minimum: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or not minimum <= int(raw) <= MAX_PAGING:
        raise ApiError(
            400, "ValidationError", f"{name} must be a whole number from {minimum} to {MAX_PAGING}."
        )
    return int(raw)


# --- $filter ----------------------------------------------------------------
# A small parser of our own, kept after trying odata-query 0.10.0 (its last
# release, 2024): it compiles contains/startswith/endswith to case-sensitive
# lookups where Azure's match ignores case; its OData v4 grammar has no
# substringof(), which Azure's documentation still uses; it accepts or, not,
# in and arithmetic, each of which the field allow-list would then have to
# police through a custom AST transformer; and it pins sly 0.4. This subset
# is what Azure's list operations document, and each refusal is tested.

_COMPARISON = re.compile(
    r"^\s*(?P<field>[A-Za-z]+)\s+(?P<op>eq|ne|gt|ge|lt|le)\s+'(?P<value>(?:[^']|'')*)'\s*$"
)
_FUNCTION = re.compile(
    r"^\s*(?P<func>contains|startswith|endswith)\(\s*(?P<field>[A-Za-z]+)\s*,\s*"
    r"'(?P<value>(?:[^']|'')*)'\s*\)\s*$"
)
_SUBSTRINGOF = re.compile(
    r"^\s*substringof\(\s*'(?P<value>(?:[^']|'')*)'\s*,\s*(?P<field>[A-Za-z]+)\s*\)\s*$"
)
_LOOKUPS = {
    "eq": "exact",
    "gt": "gt",
    "ge": "gte",
    "lt": "lt",
    "le": "lte",
    "contains": "icontains",
    "startswith": "istartswith",
    "endswith": "iendswith",
}


def apply_filter[QuerySetT: QuerySet](
    request: HttpRequest, queryset: QuerySetT, fields: dict[str, str]
) -> QuerySetT:
    """Apply an OData $filter of comparisons and functions joined by 'and'.

    fields maps Azure property names to model lookups. What this subset
    can't express is refused with a 400, never ignored.
    """
    expression = request.GET.get("$filter", "").strip()
    if not expression:
        return queryset
    # Split on "and" outside quoted values ('' is an escaped quote inside one).
    for clause in re.split(r"\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)", expression):
        match = _COMPARISON.match(clause) or _FUNCTION.match(clause) or _SUBSTRINGOF.match(clause)
        if match is None:
            raise ApiError(400, "ValidationError", f"Unsupported $filter expression: {clause}")
        groups = match.groupdict()
        field = fields.get(groups["field"])
        if field is None:
            raise ApiError(
                400,
                "ValidationError",
                f"Can't filter on '{groups['field']}'; try one of {', '.join(sorted(fields))}.",
            )
        value = groups["value"].replace("''", "'")
        operation = groups.get("op") or groups.get("func") or "contains"
        if operation == "ne":
            queryset = queryset.exclude(**{field: value})
        else:
            queryset = queryset.filter(Q(**{f"{field}__{_LOOKUPS[operation]}": value}))
    return queryset
