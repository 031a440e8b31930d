"""Every body the management API takes, filled with hostile JSON.

The operations are read from the OpenAPI document (management_api.openapi), and a PUT
that creates is tried on a new ID as well as on an existing entity. Bodies
carry the resource's properties (writable ones, the read-only ones clients
echo, and the options such as a user's password) with valid values or hostile
ones (tests/fuzz.py), or are no proper body at all: malformed, nested deeper
than a parser follows, not an object.

For each call: no server error; an error is in Azure's shape; a refusal
changes no row of any table; an accepted call stores the text as sent (or its
documented normalisation), and the console page of what it wrote escapes it.
The administrator who calls can't lock themselves out, a password the
validators refuse is never set, and a new entity's ID is one a browser keeps
as it is in a URL.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.urls import NoReverseMatch
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from management_api import serializers, urls
from management_api.openapi import document
from management_api.views.resources import USER_OPTIONS
from portal.models import User
from subscriptions import services as subscription_services
from tests.fuzz import (
    Body,
    Sweep,
    bodies,
    changed_tables,
    envelope,
    fuzz_settings,
    hostile_text,
    json_values,
    one_of_each,
    raw_markup,
    rolled_back,
    snapshot,
)
from tests.management_api.helpers import SERVICE, assert_azure_error, url

DOCUMENT = document("http://testserver")
WRITES = ("put", "patch", "post")


@dataclass(frozen=True)
class Kind:
    """What the fuzz tests know of one kind of resource."""

    table: serializers.Resource
    # The body of an ordinary create, from the world.
    typical: Callable[[Any], dict[str, Any]]
    # The entity an operation on an existing one names, from the world.
    existing: Callable[[Any], str]
    # The console page of a row, where what the API stored is shown.
    page: Callable[[Any], str | None] = lambda row: row.get_absolute_url()


def console_page(row: Any) -> str | None:
    """The console page of a row, once the console serves one (APIs' is being built)."""
    try:
        return row.get_absolute_url()
    except NoReverseMatch:
        return None


KINDS = {
    "groups": Kind(
        table=serializers.GROUP,
        typical=lambda world: {"displayName": "Fuzz", "description": "Fuzzed"},
        existing=lambda world: world.partners.name,
    ),
    "products": Kind(
        table=serializers.PRODUCT,
        typical=lambda world: {"displayName": "Fuzz", "state": "published"},
        existing=lambda world: world.product.name,
    ),
    "users": Kind(
        table=serializers.USER,
        typical=lambda world: {
            "email": "fuzz@example.com",
            "firstName": "Fuzz",
            "lastName": "Fuzzer",
        },
        existing=lambda world: world.member.api_id,
    ),
    "subscriptions": Kind(
        table=serializers.SUBSCRIPTION,
        typical=lambda world: {
            "scope": f"{SERVICE}/products/{world.product.name}",
            "ownerId": f"{SERVICE}/users/{world.member.api_id}",
            "displayName": "Fuzz",
        },
        existing=lambda world: world.active.sid,
    ),
    "apis": Kind(
        table=serializers.API,
        typical=lambda world: {"displayName": "Fuzz", "path": "fuzz"},
        existing=lambda world: world.shipments.name,
        page=console_page,
    ),
}
# What each path parameter names when it isn't the entity being written.
PARAMETERS = {
    "groupId": lambda world: world.beta.name,
    "productId": lambda world: world.product.name,
    "userId": lambda world: world.outsider.api_id,
    "sid": lambda world: world.active.sid,
    "apiId": lambda world: world.shipments.name,
}
# What a create keeps of the options it reads: option -> (column, whether it is
# kept, given the properties sent).
CREATES_FROM: dict[str, dict[str, tuple[str, Callable[[dict[str, Any]], bool]]]] = {
    "groups": {"externalId": ("external_id", lambda sent: sent.get("type") == "external")},
    "subscriptions": {
        "primaryKey": ("primary_secret", lambda sent: bool(sent.get("primaryKey"))),
        "secondaryKey": ("secondary_secret", lambda sent: bool(sent.get("secondaryKey"))),
    },
}
# Text kept other than exactly as sent, and how: (resource, property) -> f(text, operation).
KEPT_AS: dict[tuple[str, str], Callable[[str, Any], str]] = {
    # A new account's address has its domain in lower case (UserManager.normalize_email).
    ("users", "email"): lambda text, operation: (
        User.objects.normalize_email(text).strip() if operation.creates else text
    ),
    # A comment on a state is trimmed (subscriptions.services).
    ("subscriptions", "stateComment"): lambda text, operation: text.strip(),
    # "/ship/v1/" and "ship/v1" are one URL suffix (apis.models.Api.clean_fields).
    ("apis", "path"): lambda text, operation: text.strip().strip("/"),
}


@dataclass(frozen=True)
class Operation:
    """One write of the OpenAPI document, on an existing entity, a new one (a PUT
    that creates), or the account of the administrator who calls."""

    path: str
    method: str
    target: str = "existing"

    @property
    def kind(self) -> Kind:
        return KINDS[self.path.split("/")[1]]

    @property
    def creates(self) -> bool:
        return self.target == "new"

    @property
    def entity(self) -> bool:
        """Whether it writes the entity its path ends with (not a link, not an action)."""
        return "requestBody" in DOCUMENT["paths"][self.path][self.method]

    def __str__(self) -> str:
        target = "" if self.target == "existing" else f" ({self.target})"
        return f"{self.method.upper()} {self.path}{target}"


def operations() -> list[Operation]:
    found = []
    for path, methods in DOCUMENT["paths"].items():
        for method, spec in methods.items():
            if method not in WRITES:
                continue
            found.append(Operation(path, method))
            if method == "put" and "requestBody" in spec:
                found.append(Operation(path, method, target="new"))
            if path == "/users/{userId}":
                found.append(Operation(path, method, target="yourself"))
    return found


OPERATIONS = operations()


@pytest.fixture
def world(administrator, member, outsider, partners, beta, product, make_product, make_api):
    """One of everything a path can name; the member is in Partners and subscribed, and
    the product holds an API."""
    active = subscription_services.subscribe(developer=member, product=product, display_name="App")
    shipments = make_api("Shipments", products=[product])
    return SimpleNamespace(
        administrator=administrator,
        member=member,
        outsider=outsider,
        partners=partners,
        beta=beta,
        product=product,
        active=active,
        shipments=shipments,
    )


@pytest.fixture
def called(request, client, world, bearer):
    """An operation, its path on the world's entities, and a client that shows console pages."""
    operation = request.param
    client.force_login(world.administrator)
    segments = []
    for segment in operation.path.strip("/").split("/"):
        if segment.startswith("{"):
            name = segment.strip("{}")
            written = operation.entity and operation.path.endswith(segment)
            value = operation.kind.existing(world) if written else PARAMETERS[name](world)
            if operation.target == "yourself":
                value = world.administrator.api_id
            segment = quote(value, safe="")
        segments.append(segment)
    return SimpleNamespace(
        operation=operation,
        path="/".join(segments),
        world=world,
        bearer=bearer,
        typical=operation.kind.typical(world) if operation.entity else {},
    )


def path_for_new(called: Any, entity_id: str) -> str:
    """The operation's path with its last segment a new entity's ID."""
    head, _, _ = called.path.rpartition("/")
    return f"{head}/{quote(entity_id.encode('utf-8', 'surrogatepass'), safe='')}"


# --- The checks ----------------------------------------------------------------------


def call(client: Any, called: Any, path: str, body: bytes, if_match: str) -> Any:
    headers = dict(called.bearer)
    if if_match:
        headers["HTTP_IF_MATCH"] = if_match
    return getattr(client, called.operation.method)(url(path), body, "application/json", **headers)


def changed_row(model: type[Model], before: dict, after: dict) -> Model | None:
    """The row of the operation's table that the call added or changed, if one."""
    label = model._meta.label
    old = set(before[label])
    new = [row for row in after[label] if row not in old]
    assert len(new) <= 1, f"{len(new)} rows of {label} changed"
    return model._default_manager.get(pk=new[0][0]) if new else None


def expected(called: Any, name: str, sent: Any) -> Any:
    """What a property's column holds after it was sent this value."""
    prop = next(prop for prop in called.operation.kind.table.properties if prop.name == name)
    if sent is None and prop.nullable:
        return ""
    assert isinstance(sent, str), f"{name}: a {type(sent).__name__} was accepted as text"
    kept_as = KEPT_AS.get((called.operation.kind.table.kind, name))
    return kept_as(sent, called.operation) if kept_as else sent


def is_url_safe_id(entity_id: str) -> bool:
    """An ID a browser keeps as it is in a URL: no dot segment, nothing invisible."""
    return entity_id not in (".", "..") and not any(
        unicodedata.category(character).startswith(("C", "Z")) for character in entity_id
    )


def check(client: Any, called: Any, response: Any, properties: Any, before: dict) -> None:
    """What every call must satisfy, whatever it sent."""
    after = snapshot()
    world = called.world
    assert response.status_code < 500
    caller = User.objects.get(pk=world.administrator.pk)
    assert caller.is_active and caller.is_superuser, "the caller locked themselves out"
    if response.status_code >= 400:
        assert_azure_error(response, response.status_code)
        assert changed_tables(before, after) == [], "a refused call wrote"
        return
    if not called.operation.entity or not isinstance(properties, dict):
        return
    kind = called.operation.kind
    row = changed_row(kind.table.model, before, after)
    if row is None:
        return
    password = properties.get("password")
    if isinstance(row, User) and password not in (None, ""):
        assert isinstance(password, str), f"a {type(password).__name__} was set as a password"
        try:
            password_validation.validate_password(password, row)
        except ValidationError as error:
            raise AssertionError(f"a refused password was set: {error.messages}") from None
    if called.operation.creates:
        assert is_url_safe_id(getattr(row, kind.table.id_field)), "a new ID a URL can't keep"
    if called.operation.creates:
        for name, (column, kept) in CREATES_FROM.get(kind.table.kind, {}).items():
            if kept(properties):
                sent = properties.get(name)
                assert isinstance(sent, str), f"{name}: a {type(sent).__name__} was kept"
                assert getattr(row, column) == sent, name
    shown = {}
    for prop in kind.table.properties:
        if prop.writable and prop.name in properties and prop.field and _is_text(kind, prop):
            stored = getattr(row, prop.field)
            assert stored == expected(called, prop.name, properties[prop.name]), prop.name
            shown[prop.name] = stored
    address = kind.page(row)
    if address is None:
        return
    page = client.get(address)
    if page.status_code == 302:
        # The caller changed their own password, which signs their sessions out.
        client.force_login(caller)
        page = client.get(address)
    assert page.status_code == 200
    html = page.content.decode()
    assert raw_markup(html) == [], "unescaped markup on the console page"
    for name, stored in shown.items():
        if name in ("displayName", "firstName", "lastName", "email", "stateComment"):
            assert escape(stored) in html, f"{name} is not shown as stored"


def _is_text(kind: Kind, prop: serializers.Property) -> bool:
    if prop.schema is not None:
        # Sent as another type than its column keeps (an API's protocols: a list).
        return _is_text_schema(prop.schema)
    field = kind.table.model_field(prop.field or prop.name)
    return field.get_internal_type() in ("CharField", "TextField", "EmailField") and not (
        field.choices
    )


# --- Bodies ------------------------------------------------------------------------------

PLAIN = st.text(
    st.characters(categories=["L", "N"], max_codepoint=0x24F), min_size=1, max_size=20
).map(lambda text: f"Fuzz {text}")
# Properties a body may hold that no resource has: options the views accept.
OPTIONS = {
    "users": {option: {"type": "string"} for option in sorted(USER_OPTIONS)},
    "subscriptions": {"primaryKey": {"type": "string"}, "secondaryKey": {"type": "string"}},
    "apis": {
        "format": {"type": "string", "enum": ["openapi", "openapi+json", "swagger-json"]},
        "value": {"type": "string"},
    },
}


def known_properties(called: Any) -> dict[str, dict[str, Any]]:
    """Every property a body of this kind may hold: the schema's, and the options."""
    kind = called.operation.kind
    schema = DOCUMENT["components"]["schemas"][kind.table.model.__name__]
    properties = dict(schema["properties"]["properties"]["properties"])
    return properties | OPTIONS.get(kind.table.kind, {})


# What the views read besides the writable properties; the rest they ignore.
READ = {
    "groups": {"type", "externalId"},
    "users": {"password"},
    "subscriptions": {"scope", "ownerId", "primaryKey", "secondaryKey"},
    "apis": {"format", "value"},
}


def swept_properties(called: Any) -> dict[str, dict[str, Any]]:
    """The properties a call stores or reads: what a sweep fills in."""
    kind = called.operation.kind
    read = READ.get(kind.table.kind, set())
    writable = {prop.name for prop in kind.table.properties if prop.writable}
    return {
        name: schema
        for name, schema in known_properties(called).items()
        if name in writable | read and ("enum" in schema or _is_text_schema(schema))
    }


def _is_text_schema(schema: dict[str, Any]) -> bool:
    """Free text: no boolean, number, date or choice."""
    return "string" in _types(schema) and "enum" not in schema and "format" not in schema


def _types(schema: dict[str, Any]) -> list[str]:
    kinds = schema.get("type")
    return kinds if isinstance(kinds, list) else [kinds]


def valid(name: str, schema: dict[str, Any]) -> st.SearchStrategy:
    """A value a client might send for a property, as its schema describes it."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "boolean" in _types(schema):
        return st.booleans()
    if "integer" in _types(schema):
        return st.integers(schema.get("minimum", 0), 100)
    if name == "email":
        return st.emails()
    return PLAIN


def hostile(schema: dict[str, Any]) -> st.SearchStrategy:
    limit = schema.get("maxLength", 300)
    return st.one_of(hostile_text(limit=limit, surrogates=True), json_values(limit=limit))


@st.composite
def properties_for(draw: Any, called: Any) -> dict[str, Any]:
    """A body's properties: each known one as usual, left out, valid or hostile;
    perhaps unknown ones too."""
    drawn = {}
    for name, schema in known_properties(called).items():
        choice = draw(st.sampled_from(("usual", "left out", "valid", "hostile")))
        if choice == "usual" and name in called.typical:
            drawn[name] = called.typical[name]
        elif choice == "valid":
            drawn[name] = draw(valid(name, schema))
        elif choice == "hostile":
            drawn[name] = draw(hostile(schema))
    unknown = st.dictionaries(hostile_text(limit=20, surrogates=True), json_values(), max_size=2)
    return {**draw(unknown), **drawn}


NEW_IDS = st.one_of(
    st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,20}", fullmatch=True),
    hostile_text(limit=256, surrogates=True).filter(bool),
)
IF_MATCH = st.sampled_from(("*", "*", '"1"', 'W/"2"', "abc", '"99999999999999999999"', ""))


# --- The tests ---------------------------------------------------------------------------


def _path(called: Any, new_id: str) -> str:
    return path_for_new(called, new_id) if called.operation.creates else called.path


def attempt(client: Any, called: Any, path: str, body: Body, if_match: str = "*") -> Any:
    """Call in an example of its own, and check what every call must satisfy."""
    with rolled_back(client):
        before = snapshot()
        response = call(client, called, path, body.raw, if_match)
        check(client, called, response, body.properties, before)
        return response


# A PUT on an existing entity is a PATCH that may repeat what it holds: the
# sweep sends new ones, and PATCHes; the random bodies go everywhere.
SWEPT = [op for op in OPERATIONS if op.entity and (op.creates or op.method == "patch")]
# IDs that only an ID can get wrong: what a browser makes of dot segments, and a
# path console pages use.
ID_KINDS = {"a dot": ".", "two dots": "..", "a console path": "new"}


@pytest.mark.parametrize("called", SWEPT, indirect=True, ids=str)
def test_api_takes_or_refuses_each_kind_of_hostile_text(client, called):
    """Each property the call stores or reads holds, in turn, one text of each kind (or
    each of its choices); the rest is as usual."""
    path = _path(called, "fuzz-new")
    # As usual, the call goes through: what refuses the rest is their text.
    response = attempt(client, called, path, envelope(called.typical))
    assert response.status_code < 400, response.content
    sweep = Sweep()
    for name, schema in swept_properties(called).items():
        if _is_text_schema(schema):
            # A list, which str() would have kept as its repr.
            values = {
                **one_of_each(schema.get("maxLength", 300), password=name == "password"),
                "a list": ["Fuzz"],
            }
        else:
            values = {f"{value!r}": value for value in schema["enum"]}
        for kind, value in values.items():
            with sweep.case(f"{name} held {kind}: {str(value)[:40]!r}"):
                attempt(client, called, path, envelope({**called.typical, name: value}))
    sweep.done()


@pytest.mark.parametrize("called", [op for op in OPERATIONS if op.creates], indirect=True, ids=str)
def test_api_takes_or_refuses_each_kind_of_hostile_id(client, called):
    """The new entity's ID, from the path, holds one text of each kind."""
    sweep = Sweep()
    for kind, text in (one_of_each(256) | ID_KINDS).items():
        with sweep.case(f"the ID held {kind}: {text[:40]!r}"):
            attempt(client, called, path_for_new(called, text), envelope(called.typical))
    sweep.done()


@pytest.mark.parametrize("called", OPERATIONS, indirect=True, ids=str)
@fuzz_settings
@given(data=st.data())
def test_api_survives_hostile_bodies(client, called, data):
    body = data.draw(bodies(properties_for(called)), label="body")
    new_id = data.draw(NEW_IDS, label="new ID") if called.operation.creates else ""
    attempt(client, called, _path(called, new_id), body, data.draw(IF_MATCH, label="If-Match"))


def served_paths() -> set[str]:
    """The paths api/urls.py serves under the service, as the document writes them."""
    service = urls.SERVICE
    paths = set()
    for pattern in urls.urlpatterns:
        regex = pattern.pattern.regex.pattern
        if not regex.startswith(service) or "(?P<rest>" in regex:
            continue
        path = regex.removeprefix(service).removesuffix("/?$")
        paths.add("/" + re.sub(r"\(\?P<(\w+)>\[\^/\]\+\)", _parameter, path))
    return paths


def _parameter(match: re.Match[str]) -> str:
    head, *rest = match[1].split("_")
    return "{" + head + "".join(word.capitalize() for word in rest) + "}"


def test_operations_are_every_write_the_api_serves():
    """The document names every route the API serves, so OPERATIONS holds every body."""
    assert served_paths() == set(DOCUMENT["paths"])
    assert {op.path.split("/")[1] for op in OPERATIONS} == set(KINDS)
