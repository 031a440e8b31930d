"""Azure API Management's management API, as Portico serves it.

Every write goes through the same services as the console, so the model
layer's rules (system groups, limits, visibility, state transitions) hold
here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse

from apis.models import Api
from groups import services as group_services
from groups.models import Group, SystemGroupError, groups_of, groups_of_many, members_of
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
    require_if_match,
)
from management_api.errors import ApiError, from_validation_error, not_found
from portal import services as user_services
from portal.entities import ConcurrentChangeError
from portal.models import User
from products import services as product_services
from products.models import Product, ProductGroup
from subscriptions import services as subscription_services
from subscriptions.models import Subscription

ENTITY = {"GET", "HEAD", "PUT", "PATCH", "DELETE"}
# What a 409 says when a write collides with another one.
GROUP_TAKEN = "Another group has this ID or name."
PRODUCT_TAKEN = "Another product has this ID or name."
USER_TAKEN = "Another user has this ID or email address."
ASSOCIATION = {"HEAD", "PUT", "DELETE"}


def _validation(error: ValidationError) -> ApiError:
    return from_validation_error(error, serializers.AZURE_NAMES)


def _delete_subscriptions(request: HttpRequest) -> bool:
    """Azure's ?deleteSubscriptions=true: delete what still holds on to the entity."""
    return request.GET.get("deleteSubscriptions", "").lower() == "true"


@contextmanager
def refusals(noun: str, *, taken: str) -> Iterator[None]:
    """A service's refusals as Azure's answers: 400 invalid, 409 taken, 412 changed since read."""
    try:
        yield
    except ConcurrentChangeError:
        raise ApiError(
            412, "PreconditionFailed", f"The {noun} changed since it was read."
        ) from None
    except ValidationError as error:
        raise _validation(error) from None
    except IntegrityError:
        raise ApiError(409, "Conflict", taken) from None


# Options a client may send with a user that are no property of one.
USER_OPTIONS = frozenset({"password", "confirmation", "appType"})
# Read-only properties Azure's clients echo back on any resource.
ECHOED = frozenset(
    {"builtIn", "type", "externalId", "identities", "groups", "appType", "confirmation"}
)


def _changes(
    properties: dict[str, Any],
    table: serializers.Resource,
    *,
    options: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The model changes a client asks for, each value of the type its field takes.

    JSON gives loose types (true, 1, 1.0, "1", 1e400) and the models must
    never see the wrong one. Read-only properties, which clients echo back
    from a GET, are ignored; anything else unknown is refused.
    """
    writable = {prop.name: prop for prop in table.properties if prop.writable and prop.field}
    known = {prop.name for prop in table.properties} | options | ECHOED
    unknown = set(properties) - known
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ApiError(400, "ValidationError", f"Unknown properties: {names}.")
    changes = {}
    for key, value in properties.items():
        prop = writable.get(key)
        if prop is None or prop.field is None:
            continue
        field = table.model_field(prop.field)
        if isinstance(field, models.BooleanField):
            if not isinstance(value, bool) and value is not None:
                raise ApiError(400, "ValidationError", f"'{key}' must be true or false.")
        elif isinstance(field, models.IntegerField):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ApiError(400, "ValidationError", f"'{key}' must be a whole number.")
        elif value is None and prop.nullable:
            value = ""
        elif not isinstance(value, str):
            raise ApiError(400, "ValidationError", f"'{key}' must be a string.")
        changes[prop.field] = value
    return changes


def _text_option(properties: dict[str, Any], name: str) -> str | None:
    """An option a view reads as text (a password, a key, a group's type): a string,
    or null or left out. str() of anything else would be kept as its Python repr."""
    value = properties.get(name)
    if not isinstance(value, str | None):
        raise ApiError(400, "ValidationError", f"'{name}' must be a string.")
    return value


def _get(queryset: Any, what: str, **lookup: Any) -> Any:
    found = queryset.filter(**lookup).first()
    if found is None:
        raise not_found(what)
    return found


def _entity(
    request: HttpRequest,
    found: Any,
    *,
    what: str,
    serialize: Callable[[Any], dict],
    put: Callable[[Any], HttpResponse],
    patch: Callable[[Any, dict[str, Any]], Any],
    delete: Callable[[Any], HttpResponse],
) -> HttpResponse:
    """GET, HEAD, PUT, PATCH and DELETE of one entity, the same way for every kind.

    GET and HEAD give the entity tag; PATCH and DELETE need If-Match; PUT
    creates or updates; deleting what isn't there answers 204.
    """
    if request.method == "PUT":
        return put(found)
    if found is None:
        if request.method == "DELETE":
            return HttpResponse(status=204)
        raise not_found(what)
    if request.method == "HEAD":
        return head_response(found.version)
    if request.method == "GET":
        return json_response(serialize(found), version=found.version)
    require_if_match(request, found.version)
    if request.method == "PATCH":
        changed = patch(found, read_json(request))
        return json_response(serialize(changed), version=changed.version)
    return delete(found)


# --- Groups -------------------------------------------------------------------

GROUP_FILTERS = {
    "name": "name",
    "displayName": "display_name",
    "description": "description",
    "externalId": "external_id",
}


@api_view({"GET"})
def group_list(request: HttpRequest) -> HttpResponse:
    groups = apply_filter(request, Group.objects.order_by("name"), GROUP_FILTERS)
    return page(request, groups, serializers.group)


@api_view(ENTITY)
def group_entity(request: HttpRequest, group_id: str) -> HttpResponse:
    return _entity(
        request,
        Group.objects.filter(name=group_id).first(),
        what=f"Group '{group_id}'",
        serialize=serializers.group,
        put=lambda found: _put_group(request, group_id, found),
        patch=lambda found, properties: _update_group(
            request, found, _changes(properties, serializers.GROUP)
        ),
        delete=_delete_group,
    )


def _delete_group(group: Group) -> HttpResponse:
    try:
        group_services.delete_group(group=group)
    except SystemGroupError as error:
        raise _validation(error) from None
    return HttpResponse(status=200)


def _put_group(request: HttpRequest, group_id: str, group: Group | None) -> HttpResponse:
    properties = read_json(request)
    changes = _changes(properties, serializers.GROUP)
    if group is not None:
        check_if_match(request, group.version)
        group = _update_group(request, group, changes)
        return json_response(serializers.group(group), version=group.version)
    kind = _text_option(properties, "type") or Group.Type.CUSTOM
    external_id = _text_option(properties, "externalId")
    if kind not in (Group.Type.CUSTOM, Group.Type.EXTERNAL):
        raise ApiError(
            400, "ValidationError", "A new group's type is custom or external; system is built in."
        )
    if kind == Group.Type.EXTERNAL and not external_id:
        raise ApiError(400, "ValidationError", "An external group needs its externalId.")
    with refusals("group", taken=GROUP_TAKEN):
        group = group_services.create_group(
            name=group_id,
            display_name=str(changes.get("display_name") or ""),
            description=str(changes.get("description") or ""),
            external_id=(external_id or "") if kind == Group.Type.EXTERNAL else "",
        )
    return json_response(serializers.group(group), status=201, version=group.version)


def _update_group(request: HttpRequest, group: Group, changes: dict[str, Any]) -> Group:
    with refusals("group", taken=GROUP_TAKEN):
        return group_services.update_group(
            group=group, expected_version=expected_version(request), **changes
        )


USER_FILTERS = {
    "name": "api_id",
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "note": "note",
    "state": "state",
}


@api_view({"GET"})
def group_user_list(request: HttpRequest, group_id: str) -> HttpResponse:
    group = _get(Group.objects, f"Group '{group_id}'", name=group_id)
    users = apply_filter(request, members_of(group).order_by("api_id"), USER_FILTERS)
    return page(request, users, serializers.group_user, prepare=_with_groups)


@api_view(ASSOCIATION)
def group_user(request: HttpRequest, group_id: str, user_id: str) -> HttpResponse:
    group = _get(Group.objects, f"Group '{group_id}'", name=group_id)
    person = _get(User.objects, f"User '{user_id}'", api_id=user_id)
    is_member = members_of(group).filter(pk=person.pk).exists()
    if request.method == "HEAD":
        return HttpResponse(status=204 if is_member else 404)
    try:
        if request.method == "PUT":
            added = group_services.add_members(
                group=group,
                users=[person],
                added_by=request.api_user,  # type: ignore[attr-defined]
            )
            return json_response(serializers.group_user(person), status=201 if added else 200)
        removed = group_services.remove_member(group=group, user=person)
    except ValidationError as error:
        # A system group's members are worked out, an external group's come
        # from the directory: Azure's 400, naming the group.
        raise _validation(error) from None
    return HttpResponse(status=200 if removed else 204)


# --- Products -----------------------------------------------------------------

PRODUCT_FILTERS = {
    "name": "name",
    "displayName": "display_name",
    "description": "description",
    "terms": "terms",
    "state": "state",
}


@api_view({"GET"})
def product_list(request: HttpRequest) -> HttpResponse:
    products = apply_filter(request, Product.objects.order_by("name"), PRODUCT_FILTERS)
    return page(request, products, serializers.product)


def _product_changes(properties: dict[str, Any]) -> dict[str, Any]:
    changes = _changes(properties, serializers.PRODUCT)
    if changes.get("approval_required") is None:
        changes.pop("approval_required", None)
    return changes


@api_view(ENTITY)
def product_entity(request: HttpRequest, product_id: str) -> HttpResponse:
    def delete(product: Product) -> HttpResponse:
        with refusals("product", taken=PRODUCT_TAKEN):
            subscription_services.delete_product(
                product=product, delete_subscriptions=_delete_subscriptions(request)
            )
        return HttpResponse(status=200)

    return _entity(
        request,
        Product.objects.filter(name=product_id).first(),
        what=f"Product '{product_id}'",
        serialize=serializers.product,
        put=lambda found: _put_product(request, product_id, found),
        patch=lambda found, properties: _update_product(
            request, found, _product_changes(properties)
        ),
        delete=delete,
    )


def _put_product(request: HttpRequest, product_id: str, product: Product | None) -> HttpResponse:
    changes = _product_changes(read_json(request))
    if product is not None:
        check_if_match(request, product.version)
        product = _update_product(request, product, changes)
        return json_response(serializers.product(product), version=product.version)
    changes.setdefault("subscription_required", True)
    with refusals("product", taken=PRODUCT_TAKEN):
        product = product_services.create_product(
            name=product_id,
            added_by=request.api_user,  # type: ignore[attr-defined]
            **changes,
        )
    return json_response(serializers.product(product), status=201, version=product.version)


def _update_product(request: HttpRequest, product: Product, changes: dict[str, Any]) -> Product:
    with refusals("product", taken=PRODUCT_TAKEN):
        return product_services.update_product(
            product=product, expected_version=expected_version(request), **changes
        )


@api_view({"GET"})
def product_group_list(request: HttpRequest, product_id: str) -> HttpResponse:
    product = _get(Product.objects, f"Product '{product_id}'", name=product_id)
    groups = apply_filter(
        request,
        Group.objects.filter(product_links__product=product).order_by("name"),
        GROUP_FILTERS,
    )
    return page(request, groups, lambda item: serializers.product_group(item, product.name))


@api_view(ASSOCIATION)
def product_group(request: HttpRequest, product_id: str, group_id: str) -> HttpResponse:
    product = _get(Product.objects, f"Product '{product_id}'", name=product_id)
    group = _get(Group.objects, f"Group '{group_id}'", name=group_id)
    linked = ProductGroup.objects.filter(product=product, group=group).exists()
    if request.method == "HEAD":
        return HttpResponse(status=204 if linked else 404)
    if request.method == "PUT":
        added = product_services.grant_access(
            product=product,
            groups=[group],
            added_by=request.api_user,  # type: ignore[attr-defined]
        )
        return json_response(serializers.product_group_link(group), status=201 if added else 200)
    try:
        removed = product_services.revoke_access(product=product, group=group)
    except ValidationError as error:
        raise _validation(error) from None
    return HttpResponse(status=200 if removed else 204)


@api_view({"GET"})
def product_subscription_list(request: HttpRequest, product_id: str) -> HttpResponse:
    product = _get(Product.objects, f"Product '{product_id}'", name=product_id)
    subscriptions = _filtered_subscriptions(request, product.subscriptions.all())
    return page(request, subscriptions, serializers.product_subscription)


# --- Users ----------------------------------------------------------------------


@api_view({"GET"})
def user_list(request: HttpRequest) -> HttpResponse:
    users = apply_filter(request, User.objects.order_by("api_id"), USER_FILTERS)
    return page(request, users, serializers.user, prepare=_with_groups)


def _with_groups(people: list[User]) -> None:
    """Load a page of people's groups at once, for their bodies' properties.groups."""
    found = groups_of_many(people)
    for person in people:
        person.api_groups = found[person.pk]  # type: ignore[attr-defined]


@api_view(ENTITY)
def user_entity(request: HttpRequest, user_id: str) -> HttpResponse:
    def delete(person: User) -> HttpResponse:
        with refusals("user", taken=USER_TAKEN):
            subscription_services.delete_user(
                user=person,
                actor=request.api_user,  # type: ignore[attr-defined]
                delete_subscriptions=_delete_subscriptions(request),
            )
        # Azure's SDK takes 202 or 204 here, and raises on 200.
        return HttpResponse(status=204)

    return _entity(
        request,
        User.objects.filter(api_id=user_id).first(),
        what=f"User '{user_id}'",
        serialize=serializers.user,
        put=lambda found: _put_user(request, user_id, found),
        patch=lambda found, properties: _update_user(request, found, properties),
        delete=delete,
    )


def _put_user(request: HttpRequest, user_id: str, person: User | None) -> HttpResponse:
    properties = read_json(request)
    if person is not None:
        check_if_match(request, person.version)
        person = _update_user(request, person, properties)
        return json_response(serializers.user(person), version=person.version)
    changes = _changes(properties, serializers.USER, options=USER_OPTIONS)
    if changes.get("state") not in (None, *User.State.values):
        raise ApiError(400, "ValidationError", f"'state' is one of {', '.join(User.State.values)}.")
    for required in ("email", "first_name", "last_name"):
        if not changes.get(required):
            raise ApiError(
                400, "ValidationError", f"'{serializers.AZURE_NAMES[required]}' is required."
            )
    if User.objects.filter(email__iexact=str(changes["email"]).strip()).exists():
        raise ApiError(409, "Conflict", "A user with this email address already exists.")
    with refusals("user", taken=USER_TAKEN):
        person = user_services.create_user(
            email=str(changes["email"]),
            first_name=str(changes["first_name"]),
            last_name=str(changes["last_name"]),
            password=_text_option(properties, "password") or None,
            note=str(changes.get("note") or ""),
            api_id=user_id,
            state=str(changes.get("state") or User.State.ACTIVE),
        )
    return json_response(serializers.user(person), status=201, version=person.version)


def _update_user(request: HttpRequest, person: User, properties: dict[str, Any]) -> User:
    changes = _changes(properties, serializers.USER, options=USER_OPTIONS)
    if changes.get("state", User.State.ACTIVE) not in User.State.values:
        raise ApiError(
            400,
            "ValidationError",
            f"'state' is one of {', '.join(User.State.values)}; to close an account, DELETE it.",
        )
    with refusals("user", taken=USER_TAKEN):
        return user_services.update_user(
            user=person,
            actor=request.api_user,  # type: ignore[attr-defined]
            expected_version=expected_version(request),
            password=_text_option(properties, "password") or None,
            **changes,
        )


@api_view({"GET"})
def user_group_list(request: HttpRequest, user_id: str) -> HttpResponse:
    person = _get(User.objects, f"User '{user_id}'", api_id=user_id)
    groups = apply_filter(request, groups_of(person).order_by("name"), GROUP_FILTERS)
    return page(request, groups, lambda item: serializers.user_group(item, person.api_id))


@api_view({"GET"})
def user_subscription_list(request: HttpRequest, user_id: str) -> HttpResponse:
    person = _get(User.objects, f"User '{user_id}'", api_id=user_id)
    subscriptions = _filtered_subscriptions(request, person.subscriptions.all())
    return page(
        request, subscriptions, lambda item: serializers.user_subscription(item, person.api_id)
    )


@api_view({"GET"})
def user_subscription(request: HttpRequest, user_id: str, sid: str) -> HttpResponse:
    """One of a user's subscriptions (Azure's User Subscription - Get); another's is a 404."""
    person = _get(User.objects, f"User '{user_id}'", api_id=user_id)
    subscription = _get(
        Subscription.objects.select_related("owner", "product", "api"),
        f"Subscription '{sid}' of user '{user_id}'",
        sid=sid,
        owner=person,
    )
    return json_response(
        serializers.user_subscription(subscription, person.api_id), version=subscription.version
    )


# --- Subscriptions ------------------------------------------------------------

SUBSCRIPTION_FILTERS = {
    "name": "sid",
    "displayName": "display_name",
    "stateComment": "state_comment",
    "state": "state",
    "ownerId": "owner__api_id",
    # The product's or the API's ID, as for products alone before.
    "scope": "scope_id",
    "productId": "product__name",
    "apiId": "api__name",
    "userId": "owner__api_id",
}
# The state a PATCH asks for, from the current one -> the action that makes it.
STATE_ACTIONS = {
    (source, target): action
    for action, (sources, target) in Subscription.TRANSITIONS.items()
    for source in sources
}


def _filtered_subscriptions(
    request: HttpRequest, subscriptions: models.QuerySet[Subscription]
) -> models.QuerySet[Subscription]:
    subscriptions = subscriptions.select_related("owner", "product", "api").order_by("sid")
    if "scope" in request.GET.get("$filter", ""):
        subscriptions = subscriptions.annotate(scope_id=Coalesce("product__name", "api__name"))
    return apply_filter(request, subscriptions, SUBSCRIPTION_FILTERS)


@api_view({"GET"})
def subscription_list(request: HttpRequest) -> HttpResponse:
    subscriptions = _filtered_subscriptions(request, Subscription.objects.all())
    return page(request, subscriptions, serializers.subscription)


def _subscription(sid: str) -> Subscription:
    return _get(
        Subscription.objects.select_related("owner", "product", "api"),
        f"Subscription '{sid}'",
        sid=sid,
    )


@api_view(ENTITY)
def subscription_entity(request: HttpRequest, sid: str) -> HttpResponse:
    def delete(subscription: Subscription) -> HttpResponse:
        subscription_services.delete_subscription(subscription=subscription)
        return HttpResponse(status=200)

    return _entity(
        request,
        Subscription.objects.select_related("owner", "product", "api").filter(sid=sid).first(),
        what=f"Subscription '{sid}'",
        serialize=serializers.subscription,
        put=lambda found: _put_subscription(request, sid, found),
        patch=lambda found, properties: _update_subscription(request, found, properties),
        delete=delete,
    )


def _last_segment(value: Any, kind: str) -> str:
    text = str(value or "").rstrip("/")
    marker = f"/{kind}/"
    if marker not in text:
        raise ApiError(
            400, "ValidationError", f"Expected a /{kind}/{{id}} reference, got '{text}'."
        )
    return text.rsplit(marker, 1)[1]


def _scope_error(message: str) -> ApiError:
    return ApiError(
        400,
        "ValidationError",
        message,
        [{"code": "ValidationError", "target": "scope", "message": message}],
    )


def _scope_parts(value: Any) -> tuple[str, str]:
    """("products" or "apis", the ID) from /products/{id} or /apis/{id}, alone or after
    the service's resource ID; ("all", "") for Azure's all-APIs scope, /apis."""
    parts = str(value or "").rstrip("/").split("/")
    kind = parts[-2] if len(parts) > 1 else ""
    if parts[-1] == "apis" and kind not in ("products", "apis"):
        return ("all", "")
    return (kind, parts[-1])


def _scope(value: Any) -> Product | Api:
    """The product or API a subscription's scope names. All APIs (/apis) is refused:
    its keys would call every API, those no developer may see included."""
    kind, name = _scope_parts(value)
    if kind == "all":
        raise _scope_error(
            "Portico has no subscriptions to all APIs (scope /apis): subscribe to a product "
            "(/products/{productId}) or to one API (/apis/{apiId})."
        )
    if kind == "products" and name:
        return _get(Product.objects, f"Product '{name}'", name=name)
    if kind == "apis" and name:
        return _get(Api.objects, f"Api '{name}'", name=name)
    raise _scope_error(
        f"Expected a /products/{{productId}} or /apis/{{apiId}} scope, got '{value or ''}'."
    )


# Keys a client may choose for a new subscription; no property of one.
SUBSCRIPTION_KEYS = frozenset({"primaryKey", "secondaryKey"})


def _put_subscription(request: HttpRequest, sid: str, found: Subscription | None) -> HttpResponse:
    properties = read_json(request)
    if found is not None:
        check_if_match(request, found.version)
        found = _update_subscription(request, found, properties)
        return json_response(serializers.subscription(found), version=found.version)
    changes = _changes(properties, serializers.SUBSCRIPTION, options=SUBSCRIPTION_KEYS)
    keys = {key: _text_option(properties, key) for key in sorted(SUBSCRIPTION_KEYS)}
    scope = _scope(properties.get("scope"))
    owner = None
    if properties.get("ownerId"):
        owner_id = _last_segment(properties["ownerId"], "users")
        owner = _get(User.objects, f"User '{owner_id}'", api_id=owner_id)
    try:
        subscription = subscription_services.create_subscription(
            sid=sid,
            owner=owner,
            product=scope if isinstance(scope, Product) else None,
            api=scope if isinstance(scope, Api) else None,
            display_name=changes.get("display_name", ""),
            actor=request.api_user,  # type: ignore[attr-defined]
            # Azure's default for a subscription made through its API, whatever the product says.
            state=changes.get("state") or Subscription.State.SUBMITTED,
            primary_key=keys["primaryKey"],
            secondary_key=keys["secondaryKey"],
            state_comment=changes.get("state_comment", ""),
            notify_owner=request.GET.get("notify", "").lower() == "true",
            allow_tracing=bool(changes.get("allow_tracing")),
        )
    except ValidationError as error:
        raise _validation(error) from None
    except IntegrityError:
        raise ApiError(409, "Conflict", "A subscription with this ID or key exists.") from None
    return json_response(
        serializers.subscription(subscription), status=201, version=subscription.version
    )


def _update_subscription(
    request: HttpRequest, subscription: Subscription, properties: dict[str, Any]
) -> Subscription:
    allowed = {"displayName", "state", "stateComment", "allowTracing"}
    # Azure's SDK sends scope and ownerId with every PUT; they may repeat
    # what the subscription has, never change it.
    if "scope" in properties:
        own = ("products", subscription.product.name) if subscription.product else None
        if subscription.api is not None:
            own = ("apis", subscription.api.name)
        if _scope_parts(properties["scope"]) != own:
            raise ApiError(400, "ValidationError", "A subscription's scope can't change.")
        properties = {k: v for k, v in properties.items() if k != "scope"}
    if properties.get("ownerId"):
        owner = subscription.owner.api_id if subscription.owner else None
        if _last_segment(properties["ownerId"], "users") != owner:
            raise ApiError(400, "ValidationError", "A subscription's owner can't change.")
    properties = {k: v for k, v in properties.items() if k != "ownerId"}
    unknown = set(properties) - allowed
    if unknown:
        raise ApiError(
            400,
            "ValidationError",
            f"These properties can't be changed: {', '.join(sorted(unknown))}.",
        )
    changes = _changes(properties, serializers.SUBSCRIPTION)
    comment = changes.get("state_comment")
    try:
        # One change: a refused change of state keeps the name it came with.
        with transaction.atomic():
            if "display_name" in changes:
                subscription = subscription_services.rename_subscription(
                    subscription=subscription, display_name=changes["display_name"]
                )
            if changes.get("allow_tracing") is not None:
                subscription = subscription_services.set_allow_tracing(
                    subscription=subscription, allow_tracing=changes["allow_tracing"]
                )
            target = changes.get("state", subscription.state)
            if target != subscription.state:
                action = STATE_ACTIONS.get((subscription.state, target))
                if action is None:
                    raise ApiError(
                        400,
                        "ValidationError",
                        f"A {subscription.state} subscription can't become {target}.",
                    )
                subscription = subscription_services.change_state(
                    subscription=subscription, action=action, comment=comment or ""
                )
            elif comment is not None:
                subscription = subscription_services.set_state_comment(
                    subscription=subscription, comment=comment
                )
    except ValidationError as error:
        raise _validation(error) from None
    return Subscription.objects.select_related("owner", "product", "api").get(pk=subscription.pk)


@api_view({"POST"})
def subscription_secrets(request: HttpRequest, sid: str) -> HttpResponse:
    subscription = _subscription(sid)
    response = json_response(
        {"primaryKey": subscription.primary_secret, "secondaryKey": subscription.secondary_secret},
        version=subscription.version,
    )
    response["Cache-Control"] = "no-store"
    return response


@api_view({"POST"})
def subscription_regenerate(request: HttpRequest, sid: str, which: str) -> HttpResponse:
    subscription_services.regenerate_key(subscription=_subscription(sid), which=which)
    return HttpResponse(status=204)


@api_view({"GET", "HEAD", "PUT", "PATCH", "DELETE", "POST"})
def not_served(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other path under the service: Azure's 404, in Azure's shape."""
    raise ApiError(
        404,
        "ResourceNotFound",
        f"Portico doesn't serve '{rest}'; it serves groups, products, users, subscriptions, "
        "APIs and their operations.",
    )
