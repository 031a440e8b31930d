"""SCIM 2.0 (RFC 7644) at /scim/v2/: Users and Groups, and the documents that describe them.

Token authentication only (a provisioning token from the console), never a
session: CSRF doesn't apply. Every write goes through scim.services, one
transaction per request, so a PATCH applies all its operations or none.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Case, Prefetch, QuerySet, Value, When
from django.db.models.functions import Concat, Trim
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from scim2_models import Path
from scim2_models.exceptions import InvalidPathException
from scim2_models.path import AttrPath, ValuePath

from audit import context as audit_context
from audit.models import Record
from groups.models import Group, Membership
from portal.models import User
from scim import filters, resources, services
from scim.errors import CONTENT_TYPE, ScimError, invalid_value, not_found
from scim.matching import matches
from scim.models import ScimToken, hash_token

MAX_TEXT = {"email": 254, "first_name": 100, "last_name": 100, "external_id": 2000}

# Attributes of the User schema (and its enterprise extension) that Portico
# doesn't keep: identity providers send them by default, so they are ignored
# rather than refused. A name in no schema at all is refused.
IGNORED_USER_ATTRIBUTES = {
    "nickname",
    "profileurl",
    "title",
    "usertype",
    "preferredlanguage",
    "locale",
    "timezone",
    "phonenumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509certificates",
    "displayname",
    "groups",
    "password",
}
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("scim:root")).rstrip("/")


def scim_response(body: Any, status: int = 200, location: str = "") -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)
    if location:
        response["Location"] = location
    return response


def _authenticate(request: HttpRequest) -> ScimToken:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ScimError(
            401, "Send a provisioning token from Portico's console: Authorization: Bearer <token>."
        )
    found = ScimToken.objects.usable().filter(token_hash=hash_token(token.strip())).first()
    if found is None:
        raise ScimError(401, "The token is unknown, expired or revoked.")
    services.record_use(token=found)
    return found


def scim_view(methods: set[str]) -> Callable[..., Callable[..., HttpResponse]]:
    """Wrap a SCIM endpoint: the token, the method, and every refusal in SCIM's shape."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @login_not_required
        @never_cache
        @wraps(view)
        def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            try:
                used = _authenticate(request)
                if request.method not in methods:
                    raise ScimError(
                        405,
                        f"{request.method} is not allowed here; use {', '.join(sorted(methods))}.",
                    )
                actor = audit_context.token(
                    token_id=used.pk,
                    name=used.name,
                    owner="",
                    via=Record.Via.SCIM,
                    address=audit_context.request_address(request),
                )
                with transaction.atomic(), audit_context.acting(actor):
                    return view(request, **kwargs)
            except ScimError as error:
                return error.response()
            except ValidationError as error:
                return _from_validation(error).response()

        return wrapper

    return decorate


def _from_validation(error: ValidationError) -> ScimError:
    messages = error.messages
    codes = (
        {e.code for e in error.error_list}
        if not hasattr(error, "error_dict")
        else {e.code for errors in error.error_dict.values() for e in errors}
    )
    detail = " ".join(messages)
    if "unique" in codes or "already" in detail:
        return ScimError(409, detail, "uniqueness")
    if codes & {"administrator", "not_external", "system_group", "external_group"}:
        return ScimError(400, detail, "mutability")
    return invalid_value(detail)


def _read_json(request: HttpRequest) -> dict[str, Any]:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ScimError(413, "The request body is too large.") from None
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ScimError(400, "The request body is not valid JSON.", "invalidSyntax") from None
    if not isinstance(body, dict):
        raise ScimError(400, "The request body must be a JSON object.", "invalidSyntax")
    return body


def _require_schema(body: dict[str, Any], schema: str) -> None:
    named = body.get("schemas")
    if not isinstance(named, list) or schema.lower() not in {str(urn).lower() for urn in named}:
        raise invalid_value(f"schemas must name {schema}.")


def _text(value: Any, name: str, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid_value(f"{name} must be a string.")
    value = value.strip()
    if "\x00" in value:
        raise invalid_value(f"{name} can't contain NUL characters.")
    if len(value) > MAX_TEXT[field]:
        raise invalid_value(f"{name} is at most {MAX_TEXT[field]} characters long.")
    return value


def _boolean(value: Any, name: str) -> bool:
    # Entra ID sends "True" and "False" as strings in PATCH operations.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid_value(f"{name} must be true or false.")


def _email(value: Any, name: str = "userName") -> str:
    email = _text(value, name, "email")
    if not email:
        raise invalid_value(
            f"{name} is required: Portico's users are named by their email address."
        )
    try:
        validate_email(email)
    except ValidationError:
        raise invalid_value(f"{name} must be an email address; {email!r} isn't one.") from None
    return User.objects.normalize_email(email)


def _emails_value(value: Any) -> str:
    if not isinstance(value, list) or not value:
        raise invalid_value("emails must be a list of objects with a value.")
    chosen = next(
        (item for item in value if isinstance(item, dict) and item.get("primary") is True),
        value[0],
    )
    if not isinstance(chosen, dict):
        raise invalid_value("emails must be a list of objects with a value.")
    return _email(chosen.get("value"), "emails.value")


# Users


def _users() -> QuerySet[User]:
    return (
        User.objects.select_related("scim")
        .annotate(
            scim_display_name=Case(
                When(first_name="", last_name="", then="email"),
                default=Trim(Concat("first_name", Value(" "), "last_name")),
            ),
            scim_active=Case(When(state=User.State.ACTIVE, then=True), default=False),
        )
        .prefetch_related(
            Prefetch(
                "portal_groups",
                queryset=Group.objects.filter(type=Group.Type.EXTERNAL).order_by("name"),
                to_attr="scim_groups",
            )
        )
    )


def _user(resource_id: str) -> User:
    user = _users().filter(api_id=resource_id).first()
    if user is None:
        raise not_found("user", resource_id)
    return user


def _user_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The account's fields from a whole User (POST and PUT); attributes Portico doesn't
    keep are ignored, and so are read-only ones (id, meta, groups)."""
    _require_schema(body, resources.USER_SCHEMA)
    keys = {key.lower(): key for key in body}
    if "username" in keys:
        email = _email(body[keys["username"]])
    elif "emails" in keys:
        email = _emails_value(body[keys["emails"]])
    else:
        email = _email(None)
    name = body.get(keys.get("name", "name")) or {}
    if not isinstance(name, dict):
        raise invalid_value("name must be an object.")
    name_keys = {key.lower(): key for key in name}
    active = body.get(keys.get("active", "active"), True)
    external_id = body.get(keys.get("externalid", "externalId"))
    return {
        "email": email,
        "first_name": _text(
            name.get(name_keys.get("givenname", "")), "name.givenName", "first_name"
        ),
        "last_name": _text(
            name.get(name_keys.get("familyname", "")), "name.familyName", "last_name"
        ),
        "active": _boolean(active, "active"),
        "external_id": None
        if external_id is None
        else _text(external_id, "externalId", "external_id"),
    }


def _page(request: HttpRequest) -> tuple[int, int]:
    def number(name: str, default: int) -> int:
        raw = request.GET.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise invalid_value(f"{name} must be a whole number.") from None

    start = max(number("startIndex", 1), 1)
    count = min(max(number("count", resources.DEFAULT_PAGE_SIZE), 0), resources.MAX_PAGE_SIZE)
    return start, count


def _projection(request: HttpRequest) -> tuple[list[str], list[str]]:
    def names(parameter: str) -> list[str]:
        return [name.strip() for name in request.GET.get(parameter, "").split(",") if name.strip()]

    return names("attributes"), names("excludedAttributes")


def _listed(
    request: HttpRequest,
    rows: QuerySet[Any],
    schema: filters.Schema,
    render: Callable[[Any], dict[str, Any]],
) -> HttpResponse:
    start, count = _page(request)
    text = request.GET.get("filter", "").strip()
    if text:
        rows = rows.filter(filters.to_query(text, schema))
        # A condition through a multi-valued relation may repeat a row.
        rows = rows.filter(pk__in=rows.values("pk"))
    total = rows.count()
    page = list(rows.order_by("pk")[start - 1 : start - 1 + count]) if count else []
    attributes, excluded = _projection(request)
    found = [resources.project(render(row), attributes, excluded) for row in page]
    return scim_response(resources.list_response(found, total, start))


@scim_view({"GET", "POST"})
def users(request: HttpRequest) -> HttpResponse:
    base = _base(request)
    if request.method == "GET":
        return _listed(
            request, _users(), resources.USER_FILTERS, lambda u: resources.user_resource(u, base)
        )
    body = _read_json(request)
    fields = _user_fields(body)
    password = body.get("password")
    user = services.provision_user(
        **fields, password=password if isinstance(password, str) and password else None
    )
    resource = resources.user_resource(_user(user.api_id), base)
    return scim_response(resource, 201, location=resource["meta"]["location"])


@scim_view({"GET", "PUT", "PATCH", "DELETE"})
def user(request: HttpRequest, resource_id: str) -> HttpResponse:
    base = _base(request)
    found = _user(resource_id)
    if request.method == "GET":
        attributes, excluded = _projection(request)
        return scim_response(
            resources.project(resources.user_resource(found, base), attributes, excluded)
        )
    if request.method == "DELETE":
        services.deprovision_user(user=found)
        return HttpResponse(status=204)
    body = _read_json(request)
    fields = _user_fields(body) if request.method == "PUT" else _patched_user(found, body)
    services.update_user(user=found, **fields)
    return scim_response(resources.user_resource(_user(found.api_id), base))


def _operations(body: dict[str, Any]) -> list[dict[str, Any]]:
    _require_schema(body, resources.PATCH_SCHEMA)
    operations = body.get("Operations", body.get("operations"))
    if not isinstance(operations, list) or not operations:
        raise invalid_value("Operations must be a list of one or more operations.")
    for operation in operations:
        if not isinstance(operation, dict):
            raise invalid_value("Each operation must be an object.")
        op = operation.get("op")
        if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
            raise invalid_value(f"op must be add, replace or remove, not {op!r}.")
    return operations


def _path(text: Any) -> AttrPath | ValuePath:
    if not isinstance(text, str):
        raise ScimError(400, "path must be a string.", "invalidPath")
    try:
        node = Path(text).ast
    except InvalidPathException as error:
        raise ScimError(400, f"The path is malformed: {error.detail}.", "invalidPath") from None
    if not isinstance(node, AttrPath | ValuePath):
        raise ScimError(400, f"Portico can't change {text!r}.", "invalidPath")
    return node


def _strip_urn(attr: AttrPath, schema: str) -> AttrPath | None:
    """The attribute without its schema's URN; None for the enterprise extension's."""
    if attr.uri is None or attr.uri.lower() == schema.lower():
        return attr
    if attr.uri.lower() == ENTERPRISE:
        return None
    raise ScimError(400, f"Portico has no attribute {attr}.", "invalidPath")


def _patched_user(user: User, body: dict[str, Any]) -> dict[str, Any]:
    """The account's fields after a PatchOp's operations, applied in order."""
    scim = getattr(user, "scim", None) if hasattr(user, "scim") else None
    fields: dict[str, Any] = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "active": user.state == User.State.ACTIVE,
        "external_id": scim.external_id if scim else None,
    }
    for operation in _operations(body):
        op = operation["op"].lower()
        value = operation.get("value")
        if "path" not in operation or operation["path"] in (None, ""):
            if op == "remove":
                raise ScimError(400, "A remove operation needs a path.", "noTarget")
            if not isinstance(value, dict):
                raise invalid_value("Without a path, value must be an object of attributes.")
            for key, item in value.items():
                if key.lower() == ENTERPRISE:
                    continue
                _set_user_attribute(fields, _path(key), op, item)
            continue
        _set_user_attribute(fields, _path(operation["path"]), op, value)
    return fields


def _set_user_attribute(
    fields: dict[str, Any], node: AttrPath | ValuePath, op: str, value: Any
) -> None:
    if isinstance(node, ValuePath):
        selected = node.attr_path.attr.lower()
        if selected in IGNORED_USER_ATTRIBUTES:
            return  # addresses[type eq "work"].formatted and the like: not kept
        # emails[type eq "work"].value: Portico keeps one email, the userName.
        if selected != "emails" or (node.sub_attr or "value") != "value":
            raise ScimError(400, f"Portico can't change {node}.", "invalidPath")
        node = AttrPath(attr="emails", sub_attr="value")
    attr = _strip_urn(node, resources.USER_SCHEMA)
    if attr is None:
        return
    name, sub = attr.attr.lower(), (attr.sub_attr or "").lower()
    remove = op == "remove"
    if name in ("username", "emails") and remove:
        raise ScimError(
            400, "userName and the email can't be removed: they name the account.", "mutability"
        )
    if name == "username" and not sub:
        fields["email"] = _email(value)
    elif name == "emails" and sub == "value":
        fields["email"] = _email(value, "emails.value")
    elif name == "emails" and not sub:
        fields["email"] = _emails_value(value)
    elif name == "name" and sub in ("givenname", "familyname"):
        field = "first_name" if sub == "givenname" else "last_name"
        fields[field] = "" if remove else _text(value, f"name.{attr.sub_attr}", field)
    elif name == "name" and sub == "formatted":
        pass  # made from the given and family names
    elif name == "name" and not sub:
        if remove:
            fields["first_name"] = fields["last_name"] = ""
            return
        if not isinstance(value, dict):
            raise invalid_value("name must be an object.")
        for key, item in value.items():
            if key.lower() in ("givenname", "familyname", "formatted"):
                _set_user_attribute(fields, AttrPath(attr="name", sub_attr=key), op, item)
    elif name == "active" and not sub:
        if remove:
            raise ScimError(400, "active can't be removed; set it to false.", "mutability")
        fields["active"] = _boolean(value, "active")
    elif name == "externalid" and not sub:
        fields["external_id"] = "" if remove else _text(value, "externalId", "external_id")
    elif name in IGNORED_USER_ATTRIBUTES or name == "emails":
        pass
    else:
        raise ScimError(400, f"Portico has no attribute {node}.", "invalidPath")


# Groups


def _groups() -> QuerySet[Group]:
    return Group.objects.filter(type=Group.Type.EXTERNAL).prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("user"))
    )


def _with_members(group: Group) -> Group:
    group.scim_members = [membership.user for membership in group.memberships.all()]  # type: ignore[attr-defined]
    return group


def _group(resource_id: str, *, write: bool) -> Group:
    """An external group; a system or custom group is none of provisioning's business."""
    group = Group.objects.filter(name=resource_id).first()
    if group is None or (group.type != Group.Type.EXTERNAL and not write):
        raise not_found("group", resource_id)
    if group.type != Group.Type.EXTERNAL:
        raise ScimError(
            400,
            f"{group.display_name} is a {group.get_type_display().lower()} group: provisioning "
            "manages external groups only.",
            "mutability",
        )
    return _with_members(_groups().get(pk=group.pk))


def _members(value: Any) -> list[User]:
    """The people a members value names, by their SCIM id; all must exist."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise invalid_value("members must be a list of objects with a value.")
    ids = []
    for item in value:
        if str(item.get("type", "User")).lower() != "user":
            raise invalid_value("Portico's groups have people as members, not groups.")
        member_id = item.get("value")
        if not isinstance(member_id, str) or not member_id:
            raise invalid_value("Each member needs a value: the user's id.")
        ids.append(member_id)
    people = {user.api_id: user for user in User.objects.filter(api_id__in=ids)}
    missing = [member_id for member_id in ids if member_id not in people]
    if missing:
        raise invalid_value(f"No user has the id {missing[0]!r}.")
    return list(people.values())


def _group_fields(body: dict[str, Any]) -> tuple[str, str | None, list[User]]:
    _require_schema(body, resources.GROUP_SCHEMA)
    keys = {key.lower(): key for key in body}
    display_name = body.get(keys.get("displayname", "displayName"))
    if not isinstance(display_name, str) or not display_name.strip():
        raise invalid_value("displayName is required.")
    if len(display_name.strip()) > 300:
        raise invalid_value("displayName is at most 300 characters long.")
    external_id = body.get(keys.get("externalid", "externalId"))
    if external_id is not None:
        external_id = _text(external_id, "externalId", "external_id") or None
    return display_name.strip(), external_id, _members(body.get(keys.get("members", "members")))


@scim_view({"GET", "POST"})
def groups(request: HttpRequest) -> HttpResponse:
    base = _base(request)
    if request.method == "GET":
        return _listed(
            request,
            _groups(),
            resources.GROUP_FILTERS,
            lambda g: resources.group_resource(_with_members(g), base),
        )
    display_name, external_id, members = _group_fields(_read_json(request))
    group = services.provision_group(
        display_name=display_name, external_id=external_id, members=members
    )
    resource = resources.group_resource(_group(group.name, write=False), base)
    return scim_response(resource, 201, location=resource["meta"]["location"])


@scim_view({"GET", "PUT", "PATCH", "DELETE"})
def group(request: HttpRequest, resource_id: str) -> HttpResponse:
    base = _base(request)
    found = _group(resource_id, write=request.method != "GET")
    if request.method == "GET":
        attributes, excluded = _projection(request)
        return scim_response(
            resources.project(resources.group_resource(found, base), attributes, excluded)
        )
    if request.method == "DELETE":
        services.delete_group(group=found)
        return HttpResponse(status=204)
    body = _read_json(request)
    if request.method == "PUT":
        display_name, external_id, members = _group_fields(body)
        found = services.update_group(
            group=found, display_name=display_name, external_id=external_id
        )
        services.replace_members(group=found, users=members)
    else:
        _patch_group(found, body)
    return scim_response(resources.group_resource(_group(found.name, write=True), base))


def _patch_group(group: Group, body: dict[str, Any]) -> None:
    for operation in _operations(body):
        op = operation["op"].lower()
        value = operation.get("value")
        if "path" not in operation or operation["path"] in (None, ""):
            if op == "remove":
                raise ScimError(400, "A remove operation needs a path.", "noTarget")
            if not isinstance(value, dict):
                raise invalid_value("Without a path, value must be an object of attributes.")
            for key, item in value.items():
                if key.lower() == "id":
                    continue  # Okta repeats the group's id
                group = _change_group(group, _path(key), op, item)
            continue
        group = _change_group(group, _path(operation["path"]), op, value)


def _change_group(group: Group, node: AttrPath | ValuePath, op: str, value: Any) -> Group:
    if isinstance(node, ValuePath):
        if node.attr_path.attr.lower() != "members" or op != "remove" or node.sub_attr:
            raise ScimError(
                400,
                f"Portico only removes members through a filter, not {op} {node}.",
                "invalidPath",
            )
        current = [membership.user for membership in group.memberships.select_related("user")]
        chosen = [
            user
            for user in current
            if matches(
                node.val_filter, {"value": user.api_id, "display": user.email, "type": "User"}
            )
        ]
        if not chosen:
            raise ScimError(400, f"No member of {group.display_name} matches {node}.", "noTarget")
        services.remove_members(group=group, users=chosen)
        return group
    attr = _strip_urn(node, resources.GROUP_SCHEMA)
    name = attr.attr.lower() if attr else ""
    if attr is None or attr.sub_attr and name != "members":
        raise ScimError(400, f"Portico has no attribute {node}.", "invalidPath")
    if name == "members":
        if op == "add":
            services.add_members(group=group, users=_members(value))
        elif op == "replace":
            services.replace_members(group=group, users=_members(value))
        elif value is None:
            services.remove_members(
                group=group, users=[m.user for m in group.memberships.select_related("user")]
            )
        else:
            services.remove_members(group=group, users=_members(value))
        return group
    if name in ("displayname", "externalid"):
        if op == "remove":
            raise ScimError(400, f"{node} can't be removed from an external group.", "mutability")
        text = value if isinstance(value, str) else None
        if text is None or not text.strip():
            raise invalid_value(f"{node} must be a string that isn't empty.")
        if name == "displayname":
            if len(text.strip()) > 300:
                raise invalid_value("displayName is at most 300 characters long.")
            return services.update_group(group=group, display_name=text.strip())
        return services.update_group(
            group=group, external_id=_text(text, "externalId", "external_id")
        )
    raise ScimError(400, f"Portico has no attribute {node}.", "invalidPath")


# Discovery


@scim_view({"GET"})
def service_provider_config(request: HttpRequest) -> HttpResponse:
    return scim_response(resources.service_provider_config(_base(request)))


@scim_view({"GET"})
def resource_types(request: HttpRequest) -> HttpResponse:
    found = resources.resource_types(_base(request))
    return scim_response(resources.list_response(found, len(found), 1))


@scim_view({"GET"})
def resource_type(request: HttpRequest, name: str) -> HttpResponse:
    for found in resources.resource_types(_base(request)):
        if found["id"] == name:
            return scim_response(found)
    raise not_found("resource type", name)


@scim_view({"GET"})
def schemas(request: HttpRequest) -> HttpResponse:
    found = list(resources.schemas().values())
    return scim_response(resources.list_response(found, len(found), 1))


@scim_view({"GET"})
def schema(request: HttpRequest, urn: str) -> HttpResponse:
    found = resources.schemas().get(urn)
    if found is None:
        raise not_found("schema", urn)
    return scim_response(found)


@scim_view({"GET", "POST", "PUT", "PATCH", "DELETE"})
def unknown(request: HttpRequest) -> HttpResponse:
    raise ScimError(404, f"There is no SCIM endpoint at {request.path}.")
