"""A bounded mixed load on Portico, with faults, that checks what it acknowledged.

32 clients (threads, each with its own connections and cookies) browse the
console as an administrator and the portal as developers, search, write
through the management API (groups, members, product access, users,
subscriptions, new keys), subscribe in the portal and call the key check,
for a bounded time, against gunicorn on 127.0.0.1. Each client writes only to
what it owns, so it knows what its acknowledged writes must have left behind;
at the end the database is compared with them (lost, duplicated,
half-written), and every answer is counted by status and shape.

Faults, during the load:
  --kill-worker [N]    SIGKILL a gunicorn worker while it serves a request (N times)
  --restart-postgres   stop the run's PostgreSQL, wait --outage seconds, start it
  --disk-full          fill the tmpfs that holds the SQLite file, wait, free it

    .venv/bin/python bench/load.py                        # SQLite, 60 s
    .venv/bin/python bench/load.py --database postgres    # a throwaway cluster
    .venv/bin/python bench/load.py --seconds 30 --kill-worker

PostgreSQL is a cluster of the run's own (initdb into a temporary folder, as
the postgres account when run as root, on 127.0.0.1:--pg-port), deleted at
the end, so a restart disturbs nobody else. --disk-full mounts a tmpfs, which
needs root. The exit status is 1 when an acknowledged write was lost,
duplicated or half-written; when a 5xx or a dropped connection came outside a
fault's window; when a request inside one failed other than cleanly (a 503
with Retry-After: an HTML page, or Azure's error JSON on the API); or when
service did not come back without restarting Portico.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import http.client
import io
import json
import os
import pwd
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
API_VERSION = "2024-05-01"
# Requests slower than gunicorn's 30-second worker timeout show as its kill.
TIMEOUT = 40.0
# A fault's window runs from its start to this long after it ends: a
# respawned worker or a reconnection needs a moment.
GRACE = 5.0

# The dataset: small enough to seed in seconds, big enough that lists page.
POOL_USERS = 400
SHARED_GROUPS = 24
CATALOGUE = 20
OWNED_GROUPS = 3
OWNED_USERS = 4
LINK_PRODUCTS = 2
OWNED_SUBSCRIPTIONS = 3
SEEDED_MEMBERS = 12
OPEN_PRODUCT = "load-open"
# Four administrator sessions, shared by the clients: signing in hashes a
# password (about a second of a worker's time each).
ADMIN_SESSIONS = 4


def prefix_of(index: int) -> str:
    return f"load-c{index:02d}"


# --- HTTP -------------------------------------------------------------------


@dataclass(slots=True)
class Answer:
    status: int  # 0 when there was no answer (refused, reset, timed out)
    started: float
    ended: float
    error: str = ""
    kind: str = ""  # html, json, text, empty or other
    azure: bool = False  # Azure's {"error": {"code": ..., "message": ...}}
    retry_after: bool = False
    location: str = ""
    body: bytes = b""

    def sample(self) -> str:
        """What the answer looked like, briefly, for the report."""
        if self.status == 0:
            return self.error
        text = self.body[:4000].decode("utf-8", "replace")
        if self.kind == "html":
            title = re.search(r"<title>(.*?)</title>", text, re.S)
            return f"<title>{title.group(1).strip() if title else '?'}</title>"
        return " ".join(text.split())[:160]


# Requests sent and not yet answered, by the client's port: what a killed
# worker was serving. Threads only add and remove their own keys.
IN_FLIGHT: dict[int, tuple[str, str, float]] = {}


class Browser:
    """One person's cookies on http.client; redirects are answers, never followed."""

    def __init__(self, port: int, zero: float) -> None:
        self.port = port
        self.zero = zero
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        started = time.monotonic() - self.zero
        local_port = 0
        try:
            connection.connect()
            local_port = connection.sock.getsockname()[1]
            IN_FLIGHT[local_port] = (method, path.split("?")[0], time.monotonic())
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            return Answer(0, started, time.monotonic() - self.zero, error=type(error).__name__)
        finally:
            IN_FLIGHT.pop(local_port, None)
            connection.close()
        ended = time.monotonic() - self.zero
        for cookie in response.headers.get_all("Set-Cookie") or []:
            pair, _, attributes = cookie.partition(";")
            name, _, value = pair.strip().partition("=")
            if "max-age=0" in attributes.lower().replace(" ", "") or value in ("", '""'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        content_type = response.headers.get("Content-Type", "")
        if "json" in content_type:
            kind = "json"
        elif "html" in content_type:
            kind = "html"
        elif content_type.startswith("text/"):
            kind = "text"
        else:
            kind = "empty" if not data else "other"
        answer = Answer(
            response.status,
            started,
            ended,
            kind=kind,
            retry_after=response.headers.get("Retry-After") is not None,
            location=response.headers.get("Location", ""),
            body=data,
        )
        if kind == "json" and response.status >= 400:
            with contextlib.suppress(ValueError):
                error = json.loads(data).get("error")
                answer.azure = isinstance(error, dict) and {"code", "message"} <= error.keys()
        return answer

    def form(self, path: str, fields: dict[str, str]) -> Answer:
        """POST a form the way a browser does, with the CSRF token from the cookie."""
        fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **fields}
        return self.request(
            "POST",
            path,
            body=urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    def sign_in(self, email: str, password: str) -> bool:
        self.request("GET", "/signin/")
        answer = self.form("/signin/", {"username": email, "password": password, "next": ""})
        return answer.status == 302 and "sessionid" in self.cookies


# --- What each client expects -------------------------------------------------


@dataclass
class Possible:
    """The values a key may hold at the end: one after an acknowledged write,
    more while a write is in doubt (no answer, or a 5xx: it may have happened)."""

    values: set[Any]
    acknowledged: int = 0
    doubtful: int = 0
    last_doubt: Any = None

    @property
    def settled(self) -> bool:
        return len(self.values) == 1

    def write(self, outcome: str, value: Any) -> None:
        if outcome == "ok":
            self.values = {value}
            self.acknowledged += 1
            self.last_doubt = None
        elif outcome == "failed":
            self.values.add(value)
            self.doubtful += 1
            self.last_doubt = value


@dataclass
class Versioned:
    """An entity whose every saved write adds one to its version."""

    base: int
    revisions: Possible
    next_revision: int = 1
    acknowledged: int = 0
    doubtful: int = 0

    def write(self, outcome: str, revision: int) -> None:
        self.revisions.write(outcome, revision)
        if outcome == "ok":
            self.acknowledged += 1
        elif outcome == "failed":
            self.doubtful += 1


@dataclass
class Keys:
    """A subscription's keys as last read with listSecrets."""

    primary: str = ""
    secondary: str = ""
    current: bool = False  # no regeneration since that read
    seen: set[str] = field(default_factory=set)

    def revoked(self) -> list[str]:
        return sorted(self.seen - {self.primary, self.secondary}) if self.current else []


@dataclass(slots=True)
class Record:
    op: str
    family: str  # page, api or gateway
    write: bool
    outcome: str  # ok, unexpected (an answer not asked for) or failed (5xx, no answer)
    answer: Answer


@dataclass
class Plan:
    """What seeding made, for the clients and the final comparison."""

    service: str
    token: str
    password: str
    admin_email: str
    pool: list[str]
    shared_groups: list[str]
    catalogue: list[str]
    members: set[tuple[str, str]]
    links: set[tuple[str, str]]
    keys: dict[str, tuple[str, str]]
    versions: dict[tuple[str, str], int]


# --- Clients ------------------------------------------------------------------


class Client(threading.Thread):
    """One developer with an administrator's console session, the API token and
    everything it owns: three groups, four users, two products' access,
    its subscriptions."""

    def __init__(
        self, index: int, plan: Plan, port: int, zero: float, stop_at: float, seed: int
    ) -> None:
        super().__init__(name=f"client-{index}", daemon=True)
        self.plan = plan
        self.stop_at = stop_at
        self.rng = random.Random(seed * 1000 + index)
        self.prefix = prefix_of(index)
        self.admin = Browser(port, zero)
        self.developer = Browser(port, zero)
        self.guest = Browser(port, zero)
        self.api_browser = Browser(port, zero)
        self.records: list[Record] = []
        self.counter = 0
        self.groups = [f"{self.prefix}-g{j}" for j in range(OWNED_GROUPS)]
        self.users = [f"{self.prefix}-u{j}" for j in range(OWNED_USERS)]
        self.products = [f"{self.prefix}-p{j}" for j in range(LINK_PRODUCTS)]
        self.link_groups = plan.shared_groups + self.groups
        self.developer_id = f"{self.prefix}-dev"
        self.created: dict[tuple[str, str], Possible] = {}
        self.versions: dict[tuple[str, str], Versioned] = {
            ("group", name): Versioned(plan.versions[("group", name)], Possible({0}))
            for name in self.groups
        }
        self.versions |= {
            ("user", name): Versioned(plan.versions[("user", name)], Possible({0}))
            for name in self.users
        }
        self.pairs: dict[tuple[str, str, str], Possible] = {}
        self.subscribed: dict[str, Possible] = {}
        self.keys: dict[str, Keys] = {}
        for j in range(OWNED_SUBSCRIPTIONS):
            sid = f"{self.prefix}-s{j}"
            primary, secondary = plan.keys[sid]
            self.keys[sid] = Keys(primary, secondary, True, {primary, secondary})
            self.versions[("subscription", sid)] = Versioned(
                plan.versions[("subscription", sid)], Possible({0})
            )
        reads = [
            (self.console_groups, 5),
            (self.console_group_search, 4),
            (self.console_members, 4),
            (self.console_user_search, 3),
            (self.console_products, 3),
            (self.console_product, 2),
            (self.console_subscription_search, 3),
            (self.portal_landing, 5),
            (self.portal_products, 5),
            (self.portal_product_search, 4),
            (self.portal_product, 4),
            (self.portal_profile, 3),
            (self.guest_pages, 4),
            (self.api_group_search, 4),
            (self.api_group, 2),
            (self.api_members, 2),
            (self.api_user_subscriptions, 2),
            (self.key_check, 12),
        ]
        writes = [
            (self.put_group, 3),
            (self.put_member, 4),
            (self.delete_member, 3),
            (self.put_link, 3),
            (self.delete_link, 2),
            (self.put_subscription, 2),
            (self.api_regenerate, 3),
            (self.put_user, 3),
            (self.portal_subscribe, 3),
            (self.portal_regenerate, 2),
        ]
        self.operations = [operation for operation, _ in reads + writes]
        self.weights = [weight for _, weight in reads + writes]

    def run(self) -> None:
        while time.monotonic() < self.stop_at:
            self.rng.choices(self.operations, self.weights)[0]()

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    # -- recording --

    def note(
        self,
        op: str,
        family: str,
        answer: Answer,
        expected: Iterable[int],
        *,
        write: bool = False,
        location: str = "",
    ) -> str:
        """Record an answer; 'ok' when it is what was asked for."""
        if answer.status in expected and answer.location.startswith(location):
            outcome = "ok"
        elif answer.status == 0 or answer.status >= 500:
            outcome = "failed"
        else:
            outcome = "unexpected"
        # Bodies are kept only to show what a failure looked like.
        answer.body = b"" if outcome == "ok" else answer.body[:4000]
        self.records.append(Record(op, family, write, outcome, answer))
        return outcome

    def api(
        self, method: str, path: str, properties: dict[str, Any] | None = None, **query: str
    ) -> Answer:
        query_string = urlencode({"api-version": API_VERSION, **query}, quote_via=quote)
        headers = {"Authorization": f"Bearer {self.plan.token}"}
        body = None
        if properties is not None:
            body = json.dumps({"properties": properties}).encode()
            headers["Content-Type"] = "application/json"
        return self.api_browser.request(
            method, f"{self.plan.service}{path}?{query_string}", body=body, headers=headers
        )

    def page(self, op: str, browser: Browser, path: str) -> None:
        self.note(op, "page", browser.request("GET", path), {200})

    # -- reads --

    def console_groups(self) -> None:
        self.page("console: groups", self.admin, "/console/groups/")

    def console_group_search(self) -> None:
        self.page("console: search groups", self.admin, f"/console/groups/?q={self.prefix}")

    def console_members(self) -> None:
        group = self.rng.choice(self.groups)
        self.page("console: members", self.admin, f"/console/groups/{group}/members/")

    def console_user_search(self) -> None:
        query = f"load-user-0{self.rng.randrange(40):02d}"
        self.page("console: search users", self.admin, f"/console/users/?q={query}")

    def console_products(self) -> None:
        self.page("console: products", self.admin, "/console/products/")

    def console_product(self) -> None:
        product = self.rng.choice(self.products)
        self.page("console: a product", self.admin, f"/console/products/{product}/")

    def console_subscription_search(self) -> None:
        self.page(
            "console: search subscriptions", self.admin, f"/console/subscriptions/?q={self.prefix}"
        )

    def portal_landing(self) -> None:
        self.page("portal: landing", self.developer, "/")

    def portal_products(self) -> None:
        self.page("portal: products", self.developer, "/products/")

    def portal_product_search(self) -> None:
        query = f"{self.rng.randrange(CATALOGUE):02d}"
        self.page("portal: search products", self.developer, f"/products/?q={query}")

    def portal_product(self) -> None:
        product = self.rng.choice([OPEN_PRODUCT, *self.plan.catalogue])
        self.page("portal: a product", self.developer, f"/products/{product}/")

    def portal_profile(self) -> None:
        self.page("portal: profile", self.developer, "/profile/")

    def guest_pages(self) -> None:
        self.page("guest: landing, products", self.guest, self.rng.choice(["/", "/products/"]))

    def api_group_search(self) -> None:
        answer = self.api("GET", "/groups", **{"$filter": f"startswith(name,'{self.prefix}')"})
        self.note("api: search groups", "api", answer, {200})

    def api_group(self) -> None:
        answer = self.api("GET", f"/groups/{self.rng.choice(self.groups)}")
        self.note("api: a group", "api", answer, {200})

    def api_members(self) -> None:
        answer = self.api("GET", f"/groups/{self.rng.choice(self.groups)}/users", **{"$top": "50"})
        self.note("api: members", "api", answer, {200})

    def api_user_subscriptions(self) -> None:
        answer = self.api("GET", f"/users/{self.developer_id}/subscriptions")
        self.note("api: a user's subscriptions", "api", answer, {200})

    def key_check(self) -> None:
        known = [sid for sid, keys in self.keys.items() if keys.current]
        if not known:
            self.list_secrets(self.rng.choice(list(self.keys)))
            return
        keys = self.keys[self.rng.choice(known)]
        revoked = keys.revoked()
        if revoked and self.rng.random() < 0.2:
            key, expected = self.rng.choice(revoked), 401
        else:
            key, expected = self.rng.choice([keys.primary, keys.secondary]), 204
        answer = self.developer.request(
            "GET",
            "/gateway/check",
            headers={"Ocp-Apim-Subscription-Key": key, "X-Product": OPEN_PRODUCT},
        )
        op = "key check: current key" if expected == 204 else "key check: replaced key"
        self.note(op, "gateway", answer, {expected})

    def list_secrets(self, sid: str) -> None:
        answer = self.api("POST", f"/subscriptions/{sid}/listSecrets")
        body = answer.body
        if self.note("api: listSecrets", "api", answer, {200}) != "ok":
            return
        body = json.loads(body)
        keys = self.keys[sid]
        keys.primary, keys.secondary = body["primaryKey"], body["secondaryKey"]
        keys.seen |= {keys.primary, keys.secondary}
        keys.current = True

    # -- writes --

    def put_group(self) -> None:
        existing = [key for key in self.versions if key[0] == "group"]
        if self.rng.random() < 0.4:
            name = f"{self.prefix}-n{self.next_id():04d}"
            answer = self.api(
                "PUT", f"/groups/{name}", {"displayName": f"Load {name} r0", "description": "rev 0"}
            )
            outcome = self.note("api: PUT group (new)", "api", answer, {201}, write=True)
            created = self.created.setdefault(("group", name), Possible({False}))
            created.write(outcome, True)
            if outcome == "ok":
                self.versions[("group", name)] = Versioned(1, Possible({0}))
            return
        key = self.rng.choice(existing)
        entity = self.versions[key]
        revision = entity.next_revision
        entity.next_revision += 1
        properties = {"displayName": f"Load {key[1]} r{revision}", "description": f"rev {revision}"}
        answer = self.api("PUT", f"/groups/{key[1]}", properties)
        entity.write(self.note("api: PUT group", "api", answer, {200}, write=True), revision)

    def pair(self, kind: str, a: str, b: str) -> Possible:
        key = (kind, a, b)
        if key not in self.pairs:
            seeded = self.plan.members if kind == "member" else self.plan.links
            self.pairs[key] = Possible({(a, b) in seeded})
        return self.pairs[key]

    def present(self, kind: str) -> tuple[str, str] | None:
        """A pair this client knows to be present, to remove it."""
        owned = self.groups if kind == "member" else self.products
        known = [
            (a, b)
            for (k, a, b), possible in self.pairs.items()
            if k == kind and possible.values == {True}
        ]
        seeded = self.plan.members if kind == "member" else self.plan.links
        known += [(a, b) for a, b in seeded if a in owned and (kind, a, b) not in self.pairs]
        if not known:
            return None
        return self.rng.choice(known)

    def put_member(self) -> None:
        group, user = self.rng.choice(self.groups), self.rng.choice(self.plan.pool)
        answer = self.api("PUT", f"/groups/{group}/users/{user}")
        outcome = self.note("api: PUT group user", "api", answer, {200, 201}, write=True)
        self.pair("member", group, user).write(outcome, True)

    def delete_member(self) -> None:
        chosen = self.present("member")
        group, user = chosen or (self.rng.choice(self.groups), self.rng.choice(self.plan.pool))
        answer = self.api("DELETE", f"/groups/{group}/users/{user}")
        outcome = self.note("api: DELETE group user", "api", answer, {200, 204}, write=True)
        self.pair("member", group, user).write(outcome, False)

    def put_link(self) -> None:
        product, group = self.rng.choice(self.products), self.rng.choice(self.link_groups)
        answer = self.api("PUT", f"/products/{product}/groups/{group}")
        outcome = self.note("api: PUT product group", "api", answer, {200, 201}, write=True)
        self.pair("link", product, group).write(outcome, True)

    def delete_link(self) -> None:
        chosen = self.present("link")
        product, group = chosen or (
            self.rng.choice(self.products),
            self.rng.choice(self.link_groups),
        )
        answer = self.api("DELETE", f"/products/{product}/groups/{group}")
        outcome = self.note("api: DELETE product group", "api", answer, {200, 204}, write=True)
        self.pair("link", product, group).write(outcome, False)

    def put_subscription(self) -> None:
        sid = f"{self.prefix}-a{self.next_id():04d}"
        properties = {
            "scope": f"{self.plan.service}/products/{OPEN_PRODUCT}",
            "ownerId": f"{self.plan.service}/users/{self.developer_id}",
            "displayName": f"{self.prefix} {sid}",
            "state": "active",
        }
        answer = self.api("PUT", f"/subscriptions/{sid}", properties)
        outcome = self.note("api: PUT subscription", "api", answer, {201}, write=True)
        self.created.setdefault(("subscription", sid), Possible({False})).write(outcome, True)
        if outcome == "ok":
            self.keys[sid] = Keys()
            self.versions[("subscription", sid)] = Versioned(1, Possible({0}))

    def regenerated(self, sid: str, outcome: str) -> None:
        entity = self.versions[("subscription", sid)]
        entity.write(outcome, entity.next_revision)
        entity.next_revision += 1
        if outcome != "unexpected":
            self.keys[sid].current = False
            self.list_secrets(sid)

    def api_regenerate(self) -> None:
        sid = self.rng.choice(list(self.keys))
        which = self.rng.choice(["Primary", "Secondary"])
        answer = self.api("POST", f"/subscriptions/{sid}/regenerate{which}Key")
        self.regenerated(sid, self.note("api: regenerate key", "api", answer, {204}, write=True))

    def portal_regenerate(self) -> None:
        sid = self.rng.choice(list(self.keys))
        which = self.rng.choice(["primary", "secondary"])
        answer = self.developer.form(f"/profile/subscriptions/{sid}/keys/{which}/regenerate/", {})
        outcome = self.note(
            "portal: regenerate key",
            "page",
            answer,
            {302},
            write=True,
            location=f"/profile/?show={sid}",
        )
        self.regenerated(sid, outcome)

    def put_user(self) -> None:
        if self.rng.random() < 0.4:
            name = f"{self.prefix}-v{self.next_id():04d}"
            properties = {
                "email": f"{name}@example.com",
                "firstName": "F0",
                "lastName": "L0",
                "note": "rev 0",
                "state": "active",
            }
            answer = self.api("PUT", f"/users/{name}", properties)
            outcome = self.note("api: PUT user (new)", "api", answer, {201}, write=True)
            self.created.setdefault(("user", name), Possible({False})).write(outcome, True)
            return
        name = self.rng.choice(self.users)
        entity = self.versions[("user", name)]
        revision = entity.next_revision
        entity.next_revision += 1
        properties = {
            "firstName": f"F{revision}",
            "lastName": f"L{revision}",
            "note": f"rev {revision}",
        }
        answer = self.api("PUT", f"/users/{name}", properties)
        entity.write(self.note("api: PUT user", "api", answer, {200}, write=True), revision)

    def portal_subscribe(self) -> None:
        name = f"{self.prefix} p{self.next_id():04d}"
        answer = self.developer.form(f"/products/{OPEN_PRODUCT}/subscribe/", {"display_name": name})
        outcome = self.note(
            "portal: subscribe", "page", answer, {302}, write=True, location="/profile/"
        )
        self.subscribed.setdefault(name, Possible({0})).write(outcome, 1)


# --- Seeding -------------------------------------------------------------------


def seed(clients: int) -> Plan:
    """Migrate, collect static files and fill the database; returns what was made."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction

    from groups import services as group_services
    from groups.models import Group, Membership
    from management_api.azure import service_id
    from portal.models import User
    from products import services as product_services
    from products.models import Product
    from subscriptions import services as subscription_services
    from subscriptions.models import Subscription

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    rng = random.Random(7)
    password = secrets.token_urlsafe(18)
    hashed = make_password(password)
    admin_email = "load-admin@example.com"
    prefixes = [prefix_of(index) for index in range(clients)]
    pool = [f"load-user-{i:04d}" for i in range(POOL_USERS)]
    with transaction.atomic():
        load_admin = User.objects.create_superuser(
            admin_email, None, first_name="Load", last_name="Admin"
        )
        User.objects.filter(email=admin_email).update(password=hashed)
        User.objects.bulk_create(
            [
                User(
                    email=f"{p}-dev@example.com",
                    api_id=f"{p}-dev",
                    first_name="Developer",
                    last_name=p,
                    password=hashed,
                )
                for p in prefixes
            ]
            + [
                User(
                    email=f"{p}-u{j}@example.com",
                    api_id=f"{p}-u{j}",
                    first_name="F0",
                    last_name="L0",
                    note="rev 0",
                    password="!",
                )
                for p in prefixes
                for j in range(OWNED_USERS)
            ]
            + [
                User(
                    email=f"{name}@example.com",
                    api_id=name,
                    first_name=f"Pool {name[-4:]}",
                    last_name="Load",
                    password="!",
                )
                for name in pool
            ]
        )
        shared = [
            group_services.create_group(name=f"load-shared-{k:02d}", display_name=f"Shared {k:02d}")
            for k in range(SHARED_GROUPS)
        ]
        owned = [
            group_services.create_group(
                name=f"{p}-g{j}", display_name=f"Load {p}-g{j} r0", description="rev 0"
            )
            for p in prefixes
            for j in range(OWNED_GROUPS)
        ]
        user_ids = dict(User.objects.filter(api_id__in=pool).values_list("api_id", "pk"))
        members = {
            (group.name, user) for group in owned for user in rng.sample(pool, SEEDED_MEMBERS)
        }
        background = {(group.name, user) for group in shared for user in rng.sample(pool, 20)}
        group_ids = {group.name: group.pk for group in [*shared, *owned]}
        Membership.objects.bulk_create(
            Membership(group_id=group_ids[g], user_id=user_ids[u]) for g, u in members | background
        )
        developers = Group.objects.get(name=Group.DEVELOPERS)
        open_product = product_services.create_product(
            name=OPEN_PRODUCT,
            display_name="Load open",
            description="Subscribe without approval.",
            state=Product.State.PUBLISHED,
            groups=[developers],
        )
        catalogue = []
        for k in range(CATALOGUE):
            product = product_services.create_product(
                name=f"load-catalogue-{k:02d}",
                display_name=f"Catalogue {k:02d}",
                state=Product.State.PUBLISHED,
                groups=[developers, *rng.sample(shared, 2)],
            )
            catalogue.append(product.name)
        links = set()
        for p in prefixes:
            for j in range(LINK_PRODUCTS):
                chosen = rng.sample(shared, 2)
                product_services.create_product(
                    name=f"{p}-p{j}",
                    display_name=f"Load {p}-p{j}",
                    state=Product.State.PUBLISHED,
                    groups=chosen,
                )
                links |= {(f"{p}-p{j}", group.name) for group in chosen}
        owners = {user.api_id: user for user in User.objects.filter(api_id__endswith="-dev")}
        for p in prefixes:
            for j in range(OWNED_SUBSCRIPTIONS):
                subscription_services.create_subscription(
                    sid=f"{p}-s{j}",
                    owner=owners[f"{p}-dev"],
                    product=open_product,
                    display_name=f"{p} s{j}",
                    actor=load_admin,
                    state=Subscription.State.ACTIVE,
                )
    keys = {
        sid: (primary, secondary)
        for sid, primary, secondary in Subscription.objects.values_list(
            "sid", "primary_secret", "secondary_secret"
        )
    }
    versions = {("group", n): v for n, v in Group.objects.values_list("name", "version")}
    versions |= {("user", n): v for n, v in User.objects.values_list("api_id", "version")}
    versions |= {
        ("subscription", n): v for n, v in Subscription.objects.values_list("sid", "version")
    }
    token = io.StringIO()
    call_command(
        "create_api_token",
        email=admin_email,
        name="bench/load.py",
        days=1,
        stdout=token,
        stderr=io.StringIO(),
    )
    return Plan(
        service=service_id(),
        token=token.getvalue().strip(),
        password=password,
        admin_email=admin_email,
        pool=pool,
        shared_groups=[group.name for group in shared],
        catalogue=catalogue,
        members=members,
        links=links,
        keys=keys,
        versions=versions,
    )


# --- What the run starts: PostgreSQL, a tmpfs, gunicorn -----------------------


def run_command(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return result


def postgres_bindir() -> Path:
    """PostgreSQL's programs: pg_config's answer, else Debian's newest version."""
    if pg_config := shutil.which("pg_config"):
        found = Path(run_command([pg_config, "--bindir"]).stdout.strip())
        if (found / "initdb").exists():
            return found
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    if initdb := shutil.which("initdb"):
        return Path(initdb).parent
    raise SystemExit("PostgreSQL's initdb was not found; install PostgreSQL or use SQLite.")


class Cluster:
    """A PostgreSQL cluster of the run's own on 127.0.0.1, deleted afterwards."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.bindir = postgres_bindir()
        self.folder = Path(tempfile.mkdtemp(prefix="portico-load-pg-"))
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            # initdb refuses to run as root; the cluster belongs to postgres.
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.data = self.folder / "data"
        self.pg("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")

    def pg(self, program: str, *arguments: str) -> None:
        run_command([*self.as_owner, str(self.bindir / program), *arguments], cwd=self.folder)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        log = str(self.folder / "postgres.log")
        self.pg("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def create_database(self, name: str) -> str:
        run_command(
            [str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port)]
            + ["-U", "postgres", name]
        )
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def delete(self) -> None:
        with contextlib.suppress(SystemExit):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


class Tmpfs:
    """A small tmpfs for the SQLite file, to be filled and freed."""

    def __init__(self, path: Path, megabytes: int) -> None:
        self.path = path
        path.mkdir()
        run_command(
            ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0700", "tmpfs", str(path)]
        )
        self.filler = path / "filler"

    def fill(self) -> int:
        """Write until the file system refuses; returns the bytes written."""
        written = 0
        with open(self.filler, "wb", buffering=0) as handle:
            for size in (1 << 20, 1 << 12):
                chunk = bytes(size)
                while True:
                    try:
                        count = handle.write(chunk)
                    except OSError as error:
                        if error.errno != errno.ENOSPC:
                            raise
                        break
                    written += count or 0
                    if not count or count < size:
                        break
        return written

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def available(self) -> int:
        stats = os.statvfs(self.path)
        return stats.f_bavail * stats.f_frsize

    def unmount(self) -> None:
        if subprocess.run(["umount", str(self.path)], capture_output=True).returncode:
            subprocess.run(["umount", "--lazy", str(self.path)], capture_output=True)


def proc_stat(pid: int) -> list[str]:
    """A process's /proc stat fields after its name: state, ppid, ..."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text.rsplit(")", 1)[1].split()


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            if int(proc_stat(int(entry.name))[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def clients_of(pids: list[int], port: int) -> dict[int, list[int]]:
    """For each worker, the client ports of the connections to `port` it holds open."""
    owners = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for link in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(link)
                if target.startswith("socket:["):
                    owners[target[8:-1]] = pid
    found: dict[int, list[int]] = defaultdict(list)
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                # 01 is ESTABLISHED; the listening socket (0A) is every worker's.
                if fields[3] == "01" and fields[9] in owners:
                    local, remote = (int(f.rsplit(":", 1)[1], 16) for f in fields[1:3])
                    if local == port:
                        found[owners[fields[9]]].append(remote)
    return found


class Portico:
    """gunicorn serving Portico, as `make run` and production start it."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        gunicorn = Path(sys.prefix, "bin", "gunicorn")
        program = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
        self.port = port
        self.log = log
        self.process = subprocess.Popen(
            [*program, "portal.wsgi:application", "--config", "gunicorn.conf.py"]
            + ["--access-logfile", "/dev/null", "--error-logfile", str(log)],
            cwd=ROOT,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(150):
            if self.healthy():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not start; its log:\n{log.read_text()[-3000:]}")

    def healthy(self) -> bool:
        return Browser(self.port, 0.0).request("GET", "/health/").status == 200

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def cpu_seconds(self) -> float:
        """CPU used by the master and its workers, the killed ones included."""
        ticks = 0
        with contextlib.suppress(OSError):
            # utime, stime, and the reaped workers' cutime and cstime.
            ticks += sum(int(v) for v in proc_stat(self.process.pid)[11:15])
        for pid in self.workers():
            with contextlib.suppress(OSError):
                ticks += sum(int(v) for v in proc_stat(pid)[11:13])
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        # As gunicorn and PostgreSQL do: connections closing don't hold the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# --- Faults ---------------------------------------------------------------------


@dataclass
class Fault:
    name: str
    start: float
    end: float
    note: str

    @property
    def window(self) -> tuple[float, float]:
        return self.start, self.end + GRACE


def kill_worker(portico: Portico, zero: float) -> Fault:
    """SIGKILL a worker while a client waits for its answer, 20 ms or more after
    sending the request; a write if one comes within 3 seconds.

    The worker may finish that request between the look and the kill; the
    report lists the request whose answer was really lost.
    """
    victim, serving, workers = 0, "no client seen waiting on it", portico.workers()
    started = time.monotonic()
    while not victim and time.monotonic() < started + 5:
        writes_only = time.monotonic() < started + 3
        workers = portico.workers()
        for pid, ports in clients_of(workers, portico.port).items():
            waiting = [IN_FLIGHT.get(port) for port in ports]
            sent = [
                w
                for w in waiting
                if w is not None
                and time.monotonic() - w[2] > 0.02
                and (w[0] != "GET" or not writes_only)
            ]
            if sent:
                victim = pid
                os.kill(victim, signal.SIGKILL)
                method, path, _ = sent[0]
                if "/service/" in path:
                    path = ".../" + path.split("/service/", 1)[1].split("/", 1)[1]
                serving = f"seen serving {method} {path}"
                break
    if not victim:
        if not workers:
            raise SystemExit("gunicorn has no worker to kill")
        victim = workers[0]
        os.kill(victim, signal.SIGKILL)
    killed = time.monotonic() - zero
    respawned = "no new worker within 10 s"
    for _ in range(200):
        if set(portico.workers()) - set(workers):
            respawned = f"a new worker {time.monotonic() - zero - killed:.1f} s later"
            break
        time.sleep(0.05)
    return Fault(
        "kill-worker", killed, killed, f"SIGKILL to worker {victim}, {serving}; {respawned}"
    )


def restart_postgres(cluster: Cluster, outage: float, zero: float) -> Fault:
    start = time.monotonic() - zero
    cluster.stop("fast")
    stopped = time.monotonic() - zero
    time.sleep(outage)
    cluster.start()
    end = time.monotonic() - zero
    return Fault(
        "restart-postgres",
        start,
        end,
        f"pg_ctl stop -m fast took {stopped - start:.1f} s, down {end - stopped:.1f} s",
    )


def fill_disk(tmpfs: Tmpfs, outage: float, zero: float) -> Fault:
    start = time.monotonic() - zero
    written = tmpfs.fill()
    left = tmpfs.available()
    time.sleep(outage)
    tmpfs.free()
    end = time.monotonic() - zero
    return Fault(
        "disk-full",
        start,
        end,
        f"filled with {written / 2**20:.1f} MiB ({left} bytes left) for {end - start:.1f} s",
    )


# --- The run ----------------------------------------------------------------------


def cpu_times() -> tuple[float, float, float]:
    """This process's CPU seconds, and the machine's busy and total jiffies."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return usage.ru_utime + usage.ru_stime, float(sum(fields) - idle), float(sum(fields))


def sign_in_everyone(plan: Plan, port: int, clients: int) -> tuple[list[dict], list[dict]]:
    """Sessions through /signin/ with CSRF: one per developer, a few for the administrator."""

    def session(email: str) -> dict[str, str]:
        browser = Browser(port, 0.0)
        if not browser.sign_in(email, plan.password):
            raise SystemExit(f"{email} could not sign in through /signin/")
        return browser.cookies

    with ThreadPoolExecutor(4) as pool:
        developers = list(
            pool.map(session, [f"{prefix_of(i)}-dev@example.com" for i in range(clients)])
        )
        admins = list(pool.map(session, [plan.admin_email] * ADMIN_SESSIONS))
    return developers, admins


@dataclass
class Run:
    clients: list[Client]
    faults: list[Fault]
    seconds: float
    cpu_self: float
    cpu_portico: float
    cpu_busy: float
    master_pid: int
    master_alive: bool
    healthy_after: bool

    @property
    def records(self) -> list[Record]:
        return [record for client in self.clients for record in client.records]


def run_load(
    args: argparse.Namespace,
    plan: Plan,
    portico: Portico,
    cluster: Cluster | None,
    tmpfs: Tmpfs | None,
) -> Run:
    started = time.monotonic()
    developers, admins = sign_in_everyone(plan, args.port, args.clients)
    print(
        f"{len(developers)} developers and {len(admins)} administrator sessions signed in "
        f"through /signin/ in {time.monotonic() - started:.0f} s"
    )
    schedule: list[tuple[float, Callable[[float], Fault]]] = []
    # Kills six seconds apart (closer in short runs), so their windows stay apart.
    spacing = min(6.0, 0.5 * args.seconds / max(1, args.kill_worker))
    for kill in range(args.kill_worker):
        at = 0.25 * args.seconds + kill * spacing
        schedule.append((at, lambda zero: kill_worker(portico, zero)))
    if args.restart_postgres and cluster is not None:
        schedule.append(
            (0.4 * args.seconds, lambda zero: restart_postgres(cluster, args.outage, zero))
        )
    if args.disk_full and tmpfs is not None:
        schedule.append((0.4 * args.seconds, lambda zero: fill_disk(tmpfs, args.outage, zero)))
    zero = time.monotonic()
    clients = [
        Client(index, plan, args.port, zero, zero + args.seconds, args.seed)
        for index in range(args.clients)
    ]
    for index, client in enumerate(clients):
        client.developer.cookies = dict(developers[index])
        client.admin.cookies = dict(admins[index % len(admins)])
    cpu_before = cpu_times()
    portico_before = portico.cpu_seconds()
    for client in clients:
        client.start()
    faults = []
    for at, fault in sorted(schedule, key=lambda item: item[0]):
        time.sleep(max(0.0, zero + at - time.monotonic()))
        faults.append(fault(zero))
    for client in clients:
        client.join()
    seconds = time.monotonic() - zero
    cpu_after = cpu_times()
    portico_cpu = (portico.cpu_seconds() - portico_before) / seconds
    return Run(
        clients=clients,
        faults=faults,
        seconds=seconds,
        cpu_self=(cpu_after[0] - cpu_before[0]) / seconds,
        cpu_portico=portico_cpu,
        cpu_busy=(cpu_after[1] - cpu_before[1]) / max(1.0, cpu_after[2] - cpu_before[2]),
        master_pid=portico.process.pid,
        master_alive=portico.process.poll() is None,
        healthy_after=portico.healthy(),
    )


# --- Comparing the database with what was acknowledged --------------------------


@dataclass
class Row:
    what: str
    acknowledged: int = 0  # writes answered with success
    checked: int = 0  # of those, the ones the end state can confirm (the last to each key)
    as_acknowledged: int = 0
    lost: int = 0
    duplicated: int = 0  # applied twice, or written without being asked
    doubtful: int = 0  # writes with no clear answer (none, or a 5xx)
    doubt_stored: int = 0  # of those, seen to have taken effect


def revision(text: str, pattern: str) -> int | None:
    match = re.fullmatch(pattern, text)
    return int(match.group(1)) if match else None


def compare(plan: Plan, clients: list[Client], sqlite: bool) -> tuple[list[Row], list[str]]:
    """The rows of the write table, and every half-written or inconsistent thing found."""
    from django.db import connection
    from django.db.models import Count

    from groups.models import Group, Membership
    from portal.models import User
    from portal.names import fold_name
    from products.models import ProductGroup
    from subscriptions.models import Subscription

    partial: list[str] = []
    groups = {g.name: g for g in Group.objects.filter(name__startswith="load-c")}
    users = {u.api_id: u for u in User.objects.filter(api_id__startswith="load-c")}
    subscriptions = {
        s.sid: s
        for s in Subscription.objects.select_related("product", "owner").filter(
            owner__api_id__startswith="load-c"
        )
    }
    stored = {"group": groups, "user": users, "subscription": subscriptions}
    members = set(
        Membership.objects.filter(group__name__startswith="load-c").values_list(
            "group__name", "user__api_id"
        )
    )
    links = set(
        ProductGroup.objects.filter(product__name__startswith="load-c").values_list(
            "product__name", "group__name"
        )
    )

    rows = {
        key: Row(what)
        for key, what in [
            ("group", "groups created (API PUT)"),
            ("group update", "groups changed (API PUT)"),
            ("member", "members added or removed (API PUT, DELETE)"),
            ("link", "product access granted or taken (API PUT, DELETE)"),
            ("user", "users created (API PUT)"),
            ("user update", "users changed (API PUT)"),
            ("subscription", "subscriptions created (API PUT)"),
            ("portal", "subscriptions (portal Subscribe)"),
            ("subscription update", "keys regenerated (API POST, portal)"),
        ]
    }

    asked: dict[str, set[str]] = defaultdict(set)
    for client in clients:
        for (kind, name), possible in client.created.items():
            asked[kind].add(name)
            row, present = rows[kind], name in stored[kind]
            row.acknowledged += possible.acknowledged
            if possible.settled and True in possible.values:
                row.checked += 1
                row.as_acknowledged += present
                row.lost += not present
            elif possible.settled:
                row.duplicated += present
            else:
                row.doubtful += possible.doubtful
                row.doubt_stored += present
        for (kind, name), entity in client.versions.items():
            found = stored[kind].get(name)
            if found is None:
                continue
            row = rows[f"{kind} update"]
            delta = found.version - entity.base
            lost = max(0, entity.acknowledged - delta)
            # What the fields say: one revision, and one that was written.
            if kind == "group":
                revisions = {
                    revision(found.display_name, rf"Load {re.escape(name)} r(\d+)"),
                    revision(found.description, r"rev (\d+)"),
                }
                if found.display_name_key != fold_name(found.display_name):
                    partial.append(f"group {name}: its folded name is not its name's")
            elif kind == "user":
                revisions = {
                    revision(found.first_name, r"F(\d+)"),
                    revision(found.last_name, r"L(\d+)"),
                    revision(found.note, r"rev (\d+)"),
                }
            else:
                # Keys are checked against the last listSecrets instead.
                keys = client.keys[name]
                revisions = {0}
                stale = keys.current and (keys.primary, keys.secondary) != (
                    found.primary_secret,
                    found.secondary_secret,
                )
                if stale:
                    lost = max(lost, 1)
            if len(revisions) != 1:
                partial.append(f"{kind} {name}: fields from different writes {revisions}")
            elif kind != "subscription" and not revisions <= entity.revisions.values:
                lost = max(lost, 1)
            row.acknowledged += entity.acknowledged
            row.checked += entity.acknowledged
            row.lost += lost
            row.as_acknowledged += max(0, entity.acknowledged - lost)
            row.duplicated += max(0, delta - entity.acknowledged - entity.doubtful)
            row.doubtful += entity.doubtful
            row.doubt_stored += min(entity.doubtful, max(0, delta - entity.acknowledged))
        for (kind, a, b), possible in client.pairs.items():
            row = rows[kind]
            present = (a, b) in (members if kind == "member" else links)
            row.acknowledged += possible.acknowledged
            row.doubtful += possible.doubtful
            if present not in possible.values:
                row.lost += 1
            elif possible.settled and possible.acknowledged:
                row.checked += 1
                row.as_acknowledged += 1
            elif not possible.settled and len(possible.values) == 2:
                row.doubt_stored += present == possible.last_doubt
        asked["portal"] |= set(client.subscribed)

    counts = Counter(
        Subscription.objects.filter(
            owner__api_id__startswith="load-c", display_name__regex=r"^load-c\d+ p\d+$"
        ).values_list("display_name", flat=True)
    )
    portal = rows["portal"]
    for client in clients:
        for name, possible in client.subscribed.items():
            count = counts.get(name, 0)
            portal.acknowledged += possible.acknowledged
            portal.duplicated += max(0, count - 1)
            if possible.settled and 1 in possible.values:
                portal.checked += 1
                portal.as_acknowledged += count >= 1
                portal.lost += count == 0
            elif possible.settled:
                portal.duplicated += min(count, 1)
            else:
                portal.doubtful += possible.doubtful
                portal.doubt_stored += min(count, 1)
    portal.duplicated += sum(1 for name in counts if name not in asked["portal"])
    for kind, pattern in (("group", r"-n\d+$"), ("user", r"-v\d+$"), ("subscription", r"-a\d+$")):
        unasked = [n for n in stored[kind] if re.search(pattern, n) and n not in asked[kind]]
        rows[kind].duplicated += len(unasked)

    # Rows must be whole whatever wrote them.
    for sid, subscription in subscriptions.items():
        if subscription.primary_secret == subscription.secondary_secret:
            partial.append(f"subscription {sid}: both keys are the same")
        if min(len(subscription.primary_secret), len(subscription.secondary_secret)) < 32:
            partial.append(f"subscription {sid}: a key is missing or short")
        if subscription.state != "active" or subscription.activated_at is None:
            partial.append(
                f"subscription {sid}: {subscription.state}, activated {subscription.activated_at}"
            )
        if subscription.product.name != OPEN_PRODUCT:
            partial.append(f"subscription {sid}: on {subscription.product.name}")
    for kind, model, fields in (
        ("membership", Membership, ("group", "user")),
        ("product access", ProductGroup, ("product", "group")),
    ):
        twice = model.objects.values(*fields).annotate(n=Count("pk")).filter(n__gt=1).count()
        if twice:
            partial.append(f"{twice} {kind} pairs stored more than once")
    if sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            result = [row[0] for row in cursor.fetchall()]
            if result != ["ok"]:
                partial.append(f"PRAGMA integrity_check: {result[:5]}")
            cursor.execute("PRAGMA foreign_key_check")
            orphans = cursor.fetchall()
            if orphans:
                partial.append(f"PRAGMA foreign_key_check: {len(orphans)} rows, {orphans[:3]}")
    return list(rows.values()), partial


# --- The report -------------------------------------------------------------------------


def window_of(record: Record, faults: list[Fault]) -> Fault | None:
    """The latest fault whose window the request overlaps."""
    for fault in sorted(faults, key=lambda fault: fault.start, reverse=True):
        start, end = fault.window
        if record.answer.started < end and record.answer.ended > start:
            return fault
    return None


def shape(record: Record) -> str:
    answer = record.answer
    if answer.status == 0:
        return f"no answer ({answer.error})"
    described = f"{answer.status} {answer.kind}"
    if answer.azure:
        described += ", Azure error JSON"
    if answer.retry_after:
        described += ", Retry-After"
    return described


def clean(record: Record, faults: list[Fault]) -> bool:
    """A clean failure: 503 with Retry-After, as a page or in Azure's shape on the API."""
    answer = record.answer
    if answer.status == 0:
        # The request a killed worker held can't be answered by anyone.
        return any(
            fault.name == "kill-worker" and answer.started <= fault.end <= answer.ended
            for fault in faults
        )
    if answer.status != 503 or not answer.retry_after:
        return False
    if record.family == "api":
        return answer.azure
    if record.family == "page":
        return answer.kind == "html"
    return True


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[f"{c:,}" if isinstance(c, int) else str(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    ]
    for row in cells:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join("  " + line for line in lines)


def report(args: argparse.Namespace, run: Run, rows: list[Row], partial: list[str]) -> list[str]:
    """Print the run's figures; returns what makes it fail."""
    records = run.records
    faults = run.faults
    problems: list[str] = []
    writes = sum(record.write for record in records)
    database = "PostgreSQL (own cluster)" if args.database == "postgres" else "SQLite"
    if args.disk_full:
        database += f" on a {args.tmpfs_mb} MiB tmpfs"
    names = ", ".join(fault.name for fault in faults) or "none"
    print(
        f"\n== bench/load.py: {database}, {args.clients} clients, {args.seconds} s, faults: {names}"
    )
    print(
        f"{len(records):,} requests in {run.seconds:.1f} s = {len(records) / run.seconds:,.0f} "
        f"req/s; {writes / max(1, len(records)):.1%} writes."
    )
    print(
        f"CPU: gunicorn {run.cpu_portico:.2f} cores, the load generator {run.cpu_self:.2f}; "
        f"the machine's {os.cpu_count()} cores were {run.cpu_busy:.0%} busy "
        f"(load average {os.getloadavg()[0]:.1f})."
    )
    statuses = Counter(record.answer.status for record in records)
    print("Answers: " + ", ".join(f"{s or 'none'}: {n:,}" for s, n in sorted(statuses.items())))

    by_op: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_op[record.op].append(record)
    print("\nPer operation:")
    print(
        table(
            ["operation", "requests", "as asked", "5xx/none", "other", "p50 ms", "p99 ms"],
            [
                [
                    op,
                    len(items),
                    sum(r.outcome == "ok" for r in items),
                    sum(r.outcome == "failed" for r in items),
                    sum(r.outcome == "unexpected" for r in items),
                    f"{percentile([r.answer.ended - r.answer.started for r in items], 0.5):.0f}",
                    f"{percentile([r.answer.ended - r.answer.started for r in items], 0.99):.0f}",
                ]
                for op, items in sorted(by_op.items())
            ],
        )
    )

    print("\nWrites compared with the database at the end:")
    total = Row("all")
    for row in rows:
        for name in ("acknowledged", "checked", "as_acknowledged", "lost", "duplicated"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        total.doubtful += row.doubtful
        total.doubt_stored += row.doubt_stored
    print(
        table(
            [
                "",
                "acknowledged",
                "checked",
                "stored as acked",
                "lost",
                "duplicated",
                "in doubt",
                "of which stored",
            ],
            [
                [
                    r.what,
                    r.acknowledged,
                    r.checked,
                    r.as_acknowledged,
                    r.lost,
                    r.duplicated,
                    r.doubtful,
                    r.doubt_stored,
                ]
                for r in [*rows, total]
            ],
        )
    )
    print(
        "  (checked: acknowledged writes the end state can confirm, the last to each key; "
        "in doubt: no answer or a 5xx)"
    )
    if total.lost:
        problems.append(f"{total.lost} acknowledged writes lost")
    if total.duplicated:
        problems.append(f"{total.duplicated} writes duplicated or unasked")
    print("Half-written or inconsistent rows: " + ("none" if not partial else ""))
    for line in partial[:20]:
        print(f"  {line}")
    if partial:
        problems.append(f"{len(partial)} half-written or inconsistent rows")

    outside = [r for r in records if r.outcome != "ok" and window_of(r, faults) is None]
    failed_outside = [r for r in outside if r.outcome == "failed"]
    print(f"\n5xx or no answer outside a fault's window: {len(failed_outside)}")
    if failed_outside:
        problems.append(f"{len(failed_outside)} 5xx or dropped requests outside a fault's window")
    unexpected = [r for r in outside if r.outcome == "unexpected"]
    print(f"Answers other than the one asked for, outside a fault's window: {len(unexpected)}")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected answers outside a fault's window")
    print_failures(outside)

    for fault in faults:
        start, end = fault.window
        inside = [r for r in records if window_of(r, faults) is fault]
        bad = [r for r in inside if r.outcome != "ok"]
        unclean = [r for r in bad if not clean(r, faults)]
        after = [
            r for r in records if r.write and r.outcome == "ok" and r.answer.started >= fault.end
        ]
        first = min((r.answer.ended for r in after), default=None)
        last_bad = max((r.answer.ended for r in bad), default=None)
        print(
            f"\nFault {fault.name} at {fault.start:.1f} s, over at {fault.end:.1f} s: {fault.note}"
        )
        print(
            f"  window {start:.1f}-{end:.1f} s: {len(inside):,} requests, "
            f"{len(inside) - len(bad):,} as asked, {len(bad):,} failed, of which "
            f"{len(bad) - len(unclean):,} cleanly"
        )
        if last_bad is not None:
            print(
                f"  last failure at {last_bad:.1f} s ({last_bad - fault.end:+.1f} s from the end)"
            )
        if first is None:
            problems.append(f"{fault.name}: no write succeeded after the fault")
            print("  no write succeeded after the fault")
        else:
            print(f"  first acknowledged write after it: {first - fault.end:+.1f} s")
        if unclean:
            problems.append(f"{fault.name}: {len(unclean)} requests failed other than cleanly")
        print_failures(bad)
        print_timeline(records, fault)
    if not run.master_alive:
        problems.append("gunicorn's master died")
    if not run.healthy_after:
        problems.append("/health/ did not answer 200 after the run")
    print(
        f"\nAfter the run: gunicorn master {run.master_pid} "
        f"{'still running (never restarted)' if run.master_alive else 'gone'}, "
        f"/health/ {'200' if run.healthy_after else 'failing'}"
    )
    return problems


def print_failures(records: list[Record]) -> None:
    counted: Counter[tuple[str, str]] = Counter()
    samples: dict[tuple[str, str], str] = {}
    for record in records:
        key = (record.family, shape(record))
        counted[key] += 1
        samples.setdefault(key, f"{record.op}: {record.answer.sample()}")
    for (family, described), count in counted.most_common():
        print(f"  {count:>6,} {family:<7} {described:<36} e.g. {samples[(family, described)]}")


def print_timeline(records: list[Record], fault: Fault) -> None:
    """Answers per second around the fault, by when they ended."""
    start, end = fault.window
    first, last = int(start) - 2, int(end) + 2
    seconds: dict[int, Counter[str]] = defaultdict(Counter)
    for record in records:
        second = int(record.answer.ended)
        if first <= second <= last:
            status = record.answer.status
            seconds[second]["ok" if record.outcome == "ok" else str(status or "none")] += 1
    print("  per second (answers by the second they ended):")
    for second in range(first, last + 1):
        counts = seconds.get(second, Counter())
        shown = ", ".join(
            f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: kv[0] != "ok")
        )
        print(f"    {second:>4} s  {shown or '-'}")


def print_exceptions(log: Path) -> None:
    """The exception each traceback in gunicorn's log ends with, counted.

    Only the last one of a chain: the ones before it are its context (a
    session's lazy load shows an AttributeError there, which is no failure).
    """
    found: Counter[str] = Counter()
    last = ""
    for line in [*log.read_text(errors="replace").splitlines(), "[end]"]:
        match = re.match(r"^([\w.]+(?:Error|Exception|Exit)): ?(.*)$", line)
        if match:
            last = f"{match.group(1)}: {re.sub(r'\d+', 'N', match.group(2))[:110]}"
        elif re.match(r"^(\[|\d{4}-\d\d-\d\d )", line) and last:
            # A new log record: the traceback before it has ended.
            found[last] += 1
            last = ""
    print(
        "Exceptions in gunicorn's log, the last of each traceback: " + ("none" if not found else "")
    )
    for text, count in found.most_common(8):
        print(f"  {count:>6,} {text}")


# --- Main -------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long to load (60)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (32)")
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres"],
        help="sqlite, or postgres (a cluster of the run's own); postgres with --restart-postgres",
    )
    parser.add_argument(
        "--kill-worker",
        type=int,
        nargs="?",
        const=1,
        default=0,
        metavar="N",
        help="SIGKILL a worker mid-request (N times, 6 s apart)",
    )
    parser.add_argument("--restart-postgres", action="store_true", help="stop and start PostgreSQL")
    parser.add_argument("--disk-full", action="store_true", help="fill SQLite's tmpfs")
    parser.add_argument(
        "--outage",
        type=float,
        default=10,
        help="seconds PostgreSQL stays down or the disk full (10)",
    )
    parser.add_argument("--port", type=int, default=8350, help="where gunicorn listens (8350)")
    parser.add_argument(
        "--pg-port", type=int, default=5439, help="the own PostgreSQL's port (5439)"
    )
    parser.add_argument("--tmpfs-mb", type=int, default=64, help="the tmpfs's size (64)")
    parser.add_argument("--seed", type=int, default=10, help="the clients' random seed (10)")
    args = parser.parse_args(argv)
    if args.restart_postgres and args.disk_full:
        parser.error("--restart-postgres needs PostgreSQL and --disk-full SQLite; run them apart")
    if args.database is None:
        args.database = "postgres" if args.restart_postgres else "sqlite"
    if args.restart_postgres and args.database != "postgres":
        parser.error("--restart-postgres runs on --database postgres")
    if args.disk_full and args.database != "sqlite":
        parser.error("--disk-full runs on --database sqlite")
    if args.disk_full and os.geteuid() != 0:
        parser.error("--disk-full mounts a tmpfs, which needs root")
    for port in (args.port, args.pg_port) if args.database == "postgres" else (args.port,):
        if not port_free(port):
            parser.error(f"127.0.0.1:{port} is taken; choose another with --port or --pg-port")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with contextlib.ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="portico-load-"))
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        cluster = tmpfs = None
        if args.database == "postgres":
            cluster = Cluster(args.pg_port)
            stack.callback(cluster.delete)
            cluster.start()
            database_url = cluster.create_database("portico_load")
        elif args.disk_full:
            tmpfs = Tmpfs(workdir / "tmpfs", args.tmpfs_mb)
            stack.callback(tmpfs.unmount)
            database_url = f"sqlite:///{tmpfs.path / 'portico.sqlite3'}"
        else:
            database_url = f"sqlite:///{workdir / 'portico.sqlite3'}"
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "PORTICO_")) and key != "DATABASE_URL"
        }
        env |= {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": database_url,
            "PORTICO_VAR_DIR": str(workdir / "var"),
            "PORTICO_BIND": f"127.0.0.1:{args.port}",
        }
        os.environ.clear()
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django
        from django.db import connections

        django.setup()
        started = time.monotonic()
        plan = seed(args.clients)
        connections.close_all()
        print(f"seeded in {time.monotonic() - started:.0f} s; gunicorn on 127.0.0.1:{args.port}")
        portico = Portico(env, args.port, workdir / "gunicorn.log")
        stack.callback(portico.stop)
        run = run_load(args, plan, portico, cluster, tmpfs)
        rows, partial = compare(plan, run.clients, sqlite=args.database == "sqlite")
        connections.close_all()
        problems = report(args, run, rows, partial)
        print_exceptions(workdir / "gunicorn.log")
        if problems:
            print("\nFAIL: " + "; ".join(problems))
            return 1
        print("\nPASS")
        return 0


if __name__ == "__main__":
    sys.exit(main())
