"""Fixtures and helpers every test may use: people in each role, the Partners group and its
member, products and subscriptions, signing in, and the list pages' query-count check."""

from __future__ import annotations

import json
import math
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import pytest
from django.db import OperationalError, connections
from django.db.backends.signals import connection_created
from django.test import Client
from django.urls import reverse

from apis import documents as api_documents
from apis import services as api_services
from apis.models import Api
from content import branding
from groups import services as group_services
from groups.models import Group
from portal.models import User
from products import services as product_services
from products.models import Product
from subscriptions import services as subscription_services
from subscriptions.models import Subscription

TEST_PASSWORD = "correct-horse-battery-staple"

# Production keeps database connections open (CONN_MAX_AGE). In tests, the
# live server's request threads would then hold connections to the test
# database, and PostgreSQL refuses to drop a database that is in use.
for database in connections.settings.values():
    database["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Background jobs run at once, in the thread that starts them (emails
    # once the change commits), so a test sees their effects straight away;
    # tests/portal/test_jobs.py runs them through the real queue and worker.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    # The manifest storage needs `collectstatic` first; tests serve the files
    # straight from static/.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _branding_as_a_warm_process_keeps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # A process keeps the branding it read for a few seconds
    # (content/branding.py), so a portal page's queries are counted warm.
    # Tests run in one process, where every change drops that copy: it is
    # kept for the whole test, starting as a fresh database's (the defaults),
    # never as another test's.
    monkeypatch.setattr(branding, "LOCAL_SECONDS", math.inf)
    branding.forget()
    branding._local = (time.monotonic(), branding.Brand())


@pytest.fixture(scope="session", autouse=True)
def _end_stray_connections(django_db_setup: None, django_db_blocker: Any) -> Any:
    """Before the test database is dropped, end connections other threads left open.

    A live-server request thread whose client went away (a browser closing
    mid-request) never sends request_finished, so its connection stays
    open, and PostgreSQL won't drop a database that is in use.
    """
    yield
    with django_db_blocker.unblock():
        for connection in connections.all():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )


# A real Redis, for the shared cache and the tests across nodes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of the test session's own, on a free port, keeping nothing on disk.

    Fails (never skips) without the binary: `make pytest` installs Debian's
    redis-server when it is missing, and CI runs these tests.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not on the PATH (`make pytest` installs it)")
    port = free_port()
    directory = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while not _redis_answers(port):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("redis-server didn't start")
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


# Database outages


@pytest.fixture
def writes_refused(transactional_db: None) -> Iterator[Callable[[bool], None]]:
    """A switch with which the database itself refuses writes, or takes them again.

    SQLite: PRAGMA query_only. PostgreSQL: default_transaction_read_only, so
    each transaction after it is read-only; the test can't run inside one
    transaction (transactional_db). A request ends by closing its connection,
    so each connection opened while writes are refused refuses them too.
    """
    refusing = False

    def apply(connection: Any) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"PRAGMA query_only = {'ON' if refusing else 'OFF'}")
            else:
                cursor.execute(f"SET default_transaction_read_only = {'on' if refusing else 'off'}")

    def on_connect(sender: Any, connection: Any, **kwargs: Any) -> None:
        if refusing:
            apply(connection)

    def switch(refuse: bool) -> None:
        nonlocal refusing
        refusing = refuse
        apply(connections["default"])

    connection_created.connect(on_connect, weak=False)
    yield switch
    connection_created.disconnect(on_connect)
    switch(False)


@pytest.fixture
def database_fails(db: None) -> Iterator[Callable[[str], None]]:
    """A switch with which this thread's queries fail as in an outage: "writes", "all" or "none".

    The failure is Django's OperationalError, which every database backend
    raises when the server is gone or refuses a write for want of space.
    """
    failing = "none"
    writes = ("INSERT", "UPDATE", "DELETE")

    def fail(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if failing == "all" or (failing == "writes" and sql.lstrip().upper().startswith(writes)):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    def switch(what: str) -> None:
        nonlocal failing
        assert what in ("writes", "all", "none")
        failing = what

    connection = connections["default"]
    connection.execute_wrappers.append(fail)
    yield switch
    connection.execute_wrappers.remove(fail)


# People, one for each role and state


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(**overrides: Any) -> User:
        fields = {
            "email": f"{uuid4().hex[:10]}@example.com",
            "first_name": "Test",
            "last_name": "Person",
        } | overrides
        password = fields.pop("password", TEST_PASSWORD)
        return User.objects.create_user(password=password, **fields)

    return make


@pytest.fixture
def administrator(db: None) -> User:
    return User.objects.create_superuser(
        "root@example.com", TEST_PASSWORD, first_name="Ada", last_name="Admin"
    )


@pytest.fixture
def developer(make_user: Callable[..., User]) -> User:
    return make_user(email="dev@example.com", first_name="Dev", last_name="Eloper")


@pytest.fixture
def outsider(make_user: Callable[..., User]) -> User:
    """A developer in no custom group."""
    return make_user(email="outsider@example.com", first_name="Otto", last_name="Outsider")


@pytest.fixture
def support_staff(make_user: Callable[..., User]) -> User:
    return make_user(email="staff@example.com", is_staff=True)


@pytest.fixture
def blocked_user(make_user: Callable[..., User]) -> User:
    return make_user(email="blocked@example.com", state=User.State.BLOCKED)


@pytest.fixture
def pending_user(make_user: Callable[..., User]) -> User:
    return make_user(email="pending@example.com", state=User.State.PENDING)


# Groups


@pytest.fixture
def partners(db: None) -> Group:
    return group_services.create_group(
        name="partners", display_name="Partners", description="Partner companies"
    )


@pytest.fixture
def beta(db: None) -> Group:
    return group_services.create_group(name="beta", display_name="Beta testers")


@pytest.fixture
def others(db: None) -> Group:
    return group_services.create_group(name="others", display_name="Others")


@pytest.fixture
def member(developer: User, partners: Group) -> User:
    """The developer, in Partners."""
    group_services.add_members(group=partners, users=[developer], added_by=None)
    return developer


@pytest.fixture
def external(db: None) -> Group:
    """An external group: its members come from a directory."""
    return group_services.create_group(
        name="directory", display_name="Directory people", external_id="aad://x"
    )


@pytest.fixture
def administrators(db: None) -> Group:
    return Group.objects.get(name=Group.ADMINISTRATORS)


@pytest.fixture
def developers(db: None) -> Group:
    return Group.objects.get(name=Group.DEVELOPERS)


@pytest.fixture
def guests(db: None) -> Group:
    return Group.objects.get(name=Group.GUESTS)


# Products and subscriptions


def slug(display_name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", display_name.lower()).strip("-")


@pytest.fixture
def make_product(partners: Group) -> Callable[..., Product]:
    """A published product that Partners (and Administrators) see; fields override that.

    Its ID comes from the display name ("Partner Deals" is partner-deals), or is
    random when neither is given.
    """

    def make(display_name: str | None = None, **fields: Any) -> Product:
        name = fields.pop("name", None) or (slug(display_name) if display_name else None)
        name = name or f"p-{uuid4().hex[:8]}"
        values = {
            "name": name,
            "display_name": display_name or name,
            "state": Product.State.PUBLISHED,
            "groups": [partners],
        } | fields
        return product_services.create_product(**values)

    return make


@pytest.fixture
def product(make_product: Callable[..., Product]) -> Product:
    """Payments: published, seen by Administrators and Partners."""
    return make_product("Payments", description="Take payments")


@pytest.fixture
def make_subscription(db: None) -> Callable[..., Subscription]:
    """A subscription row as it is, in any state, without the services' rules."""

    def make(owner: Any, product: Product, state: str = "active", **fields: Any) -> Subscription:
        return Subscription.objects.create(
            owner=owner,
            product=product,
            display_name=fields.pop("display_name", f"sub {uuid4().hex[:6]}"),
            state=state,
            **fields,
        )

    return make


@pytest.fixture
def subscription(member: User, product: Product) -> Subscription:
    """The member's active subscription to Payments, which they see through Partners."""
    created = subscription_services.subscribe(developer=member, product=product, display_name="App")
    return fresh(created)


def fresh[RowT: Any](row: RowT) -> RowT:
    """The row as the database has it now."""
    return type(row)._default_manager.get(pk=row.pk)


# The developer portal's catalogue

GUEST_CATALOGUE = {"weather", "visitors-only"}
DEVELOPER_CATALOGUE = {"weather", "payments"}
PARTNER_CATALOGUE = DEVELOPER_CATALOGUE | {"partner-deals"}
EVERYTHING = {
    "weather",
    "visitors-only",
    "payments",
    "partner-deals",
    "draft-plans",
    "internal-tools",
}


@pytest.fixture
def shelf(
    make_product: Callable[..., Product], guests: Group, developers: Group, partners: Group
) -> dict[str, Product]:
    """One product for each way of being seen, by ID."""
    make_product("Weather", groups=[guests, developers])
    make_product("Visitors Only", groups=[guests])
    make_product("Payments", groups=[developers])
    make_product("Partner Deals", groups=[partners])
    make_product(
        "Draft Plans", groups=[guests, developers, partners], state=Product.State.NOT_PUBLISHED
    )
    make_product("Internal Tools", groups=[])  # Administrators only
    return {product.name: product for product in Product.objects.all()}


def shown_products(response: Any) -> list[str]:
    """The product IDs a portal page links to, in page order."""
    assert response.status_code == 200
    return re.findall(r'href="/products/([A-Za-z0-9._-]+)/"', response.content.decode())


def catalogue(client: Any) -> set[str]:
    return set(shown_products(client.get(reverse("portal:products"))))


def normalised(content: bytes) -> str:
    """A page with its per-response secrets (CSRF tokens, CSP nonces) blanked, and the
    address it was asked for (a guest's 404 offers Sign in back to it) left out."""
    text = content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', text)
    text = re.sub(r'\?next=[^"]*"', '?next="', text)
    return re.sub(r'nonce="[^"]*"', 'nonce=""', text)


def normalised_headers(response: Any) -> dict[str, str]:
    # Content-Length follows the address echoed in the body, which
    # normalised() compares without it.
    return {
        name: re.sub(r"'nonce-[^']*'", "'nonce-'", value)
        for name, value in response.headers.items()
        if name != "Content-Length"
    }


# Pages


@pytest.fixture
def sign_in_as(client: Any, request: pytest.FixtureRequest) -> Callable[[str], Any]:
    """Sign the test client in as the user a fixture names; "anonymous" stays signed out."""

    def sign_in(who: str) -> Any:
        if who == "anonymous":
            return None
        user = request.getfixturevalue(who)
        client.force_login(user)
        return user

    return sign_in


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def hidden_version(response: Any) -> int:
    match = re.search(r'name="version" value="(\d+)"', response.content.decode())
    assert match, "the settings form has no version field"
    return int(match[1])


def table_row(body: str, marker: str) -> str:
    """The <tr> of a table that holds this piece of markup."""
    pattern = rf"<tr>(?:(?!</tr>).)*{re.escape(marker)}(?:(?!</tr>).)*</tr>"
    found = re.search(pattern, body, re.S)
    assert found, f"no table row holds {marker!r}"
    return found[0]


@pytest.fixture
def assert_queries_do_not_grow(
    client: Any, django_assert_max_num_queries: Any
) -> Callable[..., tuple[Any, Any]]:
    """A list page's queries: with a few rows, then with many more, the same number.

    grow(numbers) adds a row for each number of the range it is given: first
    range(few), then range(few, many). `queries` is the number the test's
    comment names one by one; the page must make exactly that many each time,
    warm: each is read once first, as the menu's badge of waiting approvals is
    counted once and then read from the shared cache until something changes.
    Returns both responses.
    """

    def check(
        url: str, grow: Callable[[range], Any], queries: int, *, few: int = 5, many: int = 500
    ) -> tuple[Any, Any]:
        grow(range(few))
        client.get(url)
        with django_assert_max_num_queries(queries) as with_few:
            first = client.get(url)
        assert first.status_code == 200
        grow(range(few, many))
        client.get(url)
        with django_assert_max_num_queries(queries) as with_many:
            second = client.get(url)
        assert second.status_code == 200
        assert len(with_few) == len(with_many) == queries
        return first, second

    return check


def signs_in(email: str, password: str) -> bool:
    """Whether the sign-in page lets this email and password in, as a person would try."""
    client = Client()
    client.post(reverse("portal:login"), {"username": email, "password": password})
    return "_auth_user_id" in client.session


# APIs and their documents


def openapi_text(
    title: str = "Shipments",
    operations: list[tuple[str, str, str, list[str]]] | None = None,
    version: str = "3.0.3",
) -> str:
    """A small valid OpenAPI document as JSON text: operations are (method, path, ID, tags)."""
    operations = operations or [
        ("get", "/shipments", "listShipments", ["Shipments"]),
        ("post", "/shipments", "createShipment", ["Shipments"]),
        ("get", "/shipments/{id}", "getShipment", ["Shipments"]),
        ("delete", "/shipments/{id}", "cancelShipment", ["Admin"]),
    ]
    paths: dict[str, dict[str, Any]] = {}
    for method, path, operation_id, tags in operations:
        operation: dict[str, Any] = {
            "operationId": operation_id,
            "summary": re.sub(r"(?<!^)([A-Z])", r" \1", operation_id).capitalize(),
            "tags": tags,
            "responses": {"200": {"description": "OK"}},
        }
        if "{id}" in path:
            operation["parameters"] = [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ]
        paths.setdefault(path, {})[method] = operation
    return json.dumps(
        {
            "openapi": version,
            "info": {"title": title, "version": "1.0", "description": f"The {title} API."},
            "paths": paths,
        },
        indent=2,
    )


@pytest.fixture
def make_api(db: None) -> Callable[..., Api]:
    """An API imported from a small document; products to put it in, and fields, override."""

    def make(display_name: str = "Shipments", products: Any = (), **fields: Any) -> Api:
        text = fields.pop("text", None) or openapi_text(display_name)
        name = fields.pop("name", None) or slug(display_name)
        api = api_services.create_api(
            document=api_documents.read(text),
            name=name,
            display_name=display_name,
            path=fields.pop("path", name),
            **fields,
        )
        for product in products:
            api_services.add_apis(product=product, apis=[api], added_by=None)
        return api

    return make
