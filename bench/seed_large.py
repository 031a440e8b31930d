"""Fill a database with the sizes Portico must stay fast at.

At full scale (the default): 100,000 users, 5,000 groups, 1,000,000
memberships, 2,000 products (each shared with three custom groups; one in
ten also with Developers, one in twenty with Guests; four in five
published), 10,000 active subscriptions to products their owners see, 25
waiting for approval, an API in a product Developers see, and a developer
really in 200 groups. `--scale tenth` divides every count but the 200 groups
and the 25 waiting subscriptions by ten (`tiny` by a hundred), so the pages
keep their shape and only the data grows. Run it against a throwaway database:

    PORTICO_VAR_DIR=$(mktemp -d) .venv/bin/python bench/seed_large.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portico_bench \
        .venv/bin/python bench/seed_large.py --scale tenth

It prints session cookies of an administrator and of the developer in 200
groups, for loading console and portal pages. bench/run uses `--reuse
--json`: it keeps a database seeded with the same parameters (a marker
table records them and the migrations applied then), migrates it, and
prints what its pages need as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.db.migrations.loader import MigrationLoader  # noqa: E402
from django.db.migrations.recorder import MigrationRecorder  # noqa: E402
from django.utils import timezone  # noqa: E402

from apis import documents  # noqa: E402
from apis import services as api_services  # noqa: E402
from apis.models import Api  # noqa: E402
from groups.models import Group, Membership  # noqa: E402
from management_api import services as token_services  # noqa: E402
from portal.models import User  # noqa: E402
from products.models import Product, ProductGroup  # noqa: E402
from subscriptions.models import Subscription  # noqa: E402

BATCH = 10_000
# A step coprime with the number of users walks through distinct users.
STEP = 37
# Bump when the seeded data changes shape: a database seeded by an older
# version of this file is then seeded again rather than reused.
SEED_VERSION = 2
SCALES = {
    "full": {"users": 100_000, "groups": 5_000, "memberships": 1_000_000, "products": 2_000},
    "tenth": {"users": 10_000, "groups": 500, "memberships": 100_000, "products": 200},
    "tiny": {"users": 1_000, "groups": 50, "memberships": 10_000, "products": 20},
}
# The same at every scale, so that these pages keep their size as data grows.
BUSY_GROUPS = 200
WAITING_SUBSCRIPTIONS = 25
MARKER_TABLE = "bench_seed_marker"
ADMIN_EMAIL = "bench-admin@example.com"
DEVELOPER_EMAIL = "bench-developer@example.com"
API_NAME = "bench-api"


def insert_rows(
    model: type[models.Model],
    varying: list[str],
    rows: Iterable[tuple],
    fixed: dict[str, Any],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT many rows with executemany, in transactions of BATCH rows.

    bulk_create spent about nine tenths of the seeding time compiling SQL
    for each row's values; here the statement is built once. `varying`
    names the columns given in each row (ints and strings, sent as they
    are); `fixed` holds values shared by every row; every other column gets
    its field's default, called for each row when it is callable (unique
    ids and keys), so columns other helpers add are filled as the ORM would.
    """
    shared: dict[str, Any] = {}
    per_row: list[models.Field] = []
    columns: list[str] = []
    for field in model._meta.concrete_fields:
        if field.attname in varying:
            continue
        if field.primary_key or field.db_default is not models.NOT_PROVIDED:
            continue  # the database fills these
        columns.append(field.column)
        if field.name in fixed:
            value = fixed[field.name]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = timezone.now()
        elif field.has_default() and callable(field.default):
            per_row.append(field)
            continue
        else:
            value = field.get_default()
        shared[field.column] = field.get_db_prep_save(value, connection)
    fields_by_attname = {f.attname: f for f in model._meta.concrete_fields}
    names = [fields_by_attname[name].column for name in varying]
    names += [c for c in columns if c in shared] + [f.column for f in per_row]
    constants = tuple(shared[c] for c in columns if c in shared)
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join(['%s'] * len(names))})"
        + (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
    )

    def values(row: tuple) -> tuple:
        extra = tuple(f.get_db_prep_save(f.get_default(), connection) for f in per_row)
        return row + constants + extra

    batch: list[tuple] = []
    for row in rows:
        batch.append(values(row))
        if len(batch) >= BATCH:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            batch = []
    if batch:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, batch)


def seed(users: int, groups: int, memberships: int, products: int) -> None:
    subscriptions = users // 10
    call_command("migrate", verbosity=0)
    now = timezone.now()
    started = time.monotonic()
    if User.objects.count() < users:
        insert_rows(
            User,
            ["email", "first_name", "last_name", "state"],
            (
                (
                    f"dev{i:06d}@bench.example.com",
                    f"First{i % 997}",
                    f"Last{i % 1009}",
                    "blocked" if i % 50 == 0 else "active",
                )
                for i in range(users)
            ),
            {"password": "!", "registration_date": now},
        )
    print(f"users: {User.objects.count():,} ({time.monotonic() - started:.0f} s)")

    started = time.monotonic()
    if Group.objects.custom().count() < groups:
        Group.objects.bulk_create(
            Group(
                name=f"bench-{g:05d}",
                display_name=f"Bench group {g:05d}",
                display_name_key=f"bench group {g:05d}",
                description=f"#{g}",
            )
            for g in range(groups)
        )
    print(f"groups: {Group.objects.count():,} ({time.monotonic() - started:.0f} s)")

    started = time.monotonic()
    user_ids = list(User.objects.order_by("pk").values_list("pk", flat=True))
    group_ids = list(Group.objects.custom().order_by("pk").values_list("pk", flat=True))
    per_group = memberships // len(group_ids)
    if Membership.objects.count() < memberships:
        insert_rows(
            Membership,
            ["group_id", "user_id"],
            (
                (group_id, user_ids[(g_index * 7919 + k * STEP) % len(user_ids)])
                for g_index, group_id in enumerate(group_ids)
                for k in range(per_group)
            ),
            {"added_at": now},
            ignore_conflicts=True,
        )
    # The catalogue's slowest case: one developer really in 200 groups, spread
    # over the whole list (the memberships above give anyone about 10).
    developer = User.objects.filter(email=DEVELOPER_EMAIL).first()
    if developer is None:
        developer = User.objects.create_user(DEVELOPER_EMAIL, None)
    stride = max(len(group_ids) // BUSY_GROUPS, 1)
    Membership.objects.bulk_create(
        [
            Membership(group_id=group_id, user_id=developer.pk, added_at=now)
            for group_id in group_ids[::stride][:BUSY_GROUPS]
        ],
        ignore_conflicts=True,
    )
    print(f"memberships: {Membership.objects.count():,} ({time.monotonic() - started:.0f} s)")

    started = time.monotonic()
    if Product.objects.count() < products:
        # Product p is published unless p % 5 == 0; Developers see p % 10 == 1
        # and Guests p % 20 == 1, so that both catalogues list published
        # products (with p % 10 == 0 they were all unpublished).
        Product.objects.bulk_create(
            Product(
                name=f"bench-product-{p:04d}",
                display_name=f"Bench product {p:04d}",
                display_name_key=f"bench product {p:04d}",
                description=f"Product number {p}.",
                state="published" if p % 5 else "notPublished",
            )
            for p in range(products)
        )
        product_ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
        system = dict(Group.objects.filter(type="system").values_list("name", "pk"))
        links = []
        for index, product_id in enumerate(product_ids):
            chosen = {group_ids[(index * 3 + k * 1667) % len(group_ids)] for k in range(3)}
            chosen.add(system["administrators"])
            if index % 10 == 1:
                chosen.add(system["developers"])
            if index % 20 == 1:
                chosen.add(system["guests"])
            links += [ProductGroup(product_id=product_id, group_id=g) for g in chosen]
        ProductGroup.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
    print(f"products: {Product.objects.count():,} ({time.monotonic() - started:.0f} s)")

    started = time.monotonic()
    if not Api.objects.filter(name=API_NAME).exists():
        api = api_services.create_api(
            document=documents.read(json.dumps(api_document())), name=API_NAME, path="bench"
        )
        api_services.add_apis(
            product=Product.objects.get(name="bench-product-0001"), apis=[api], added_by=None
        )
    if Subscription.objects.count() < subscriptions:
        # Products every developer sees (shared with Developers, published),
        # subscribed to by active developers only.
        seen = list(
            Product.objects.filter(groups__name=Group.DEVELOPERS, state="published")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        active = list(
            User.objects.filter(state="active", is_superuser=False)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        rows_s = [
            Subscription(
                owner_id=active[(k * STEP) % len(active)],
                product_id=seen[k % len(seen)],
                display_name=f"Bench subscription {k}",
                state="active" if k < subscriptions else "submitted",
                activated_at=now if k < subscriptions else None,
            )
            for k in range(subscriptions + WAITING_SUBSCRIPTIONS)
        ]
        Subscription.objects.bulk_create(rows_s, batch_size=BATCH)
    print(f"subscriptions: {Subscription.objects.count():,} ({time.monotonic() - started:.0f} s)")
    optimize()


def api_document() -> dict:
    """A small OpenAPI document: 20 operations on 10 paths, one shared schema."""
    item = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
    }
    paths = {}
    for n in range(10):
        paths[f"/things{n}/{{id}}"] = {
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "get": {
                "operationId": f"getThing{n}",
                "summary": f"Read thing {n}",
                "tags": [f"tag{n % 3}"],
                "responses": {
                    "200": {
                        "description": "The thing",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                        },
                    }
                },
            },
            "delete": {
                "operationId": f"deleteThing{n}",
                "summary": f"Delete thing {n}",
                "tags": [f"tag{n % 3}"],
                "responses": {"204": {"description": "Deleted"}},
            },
        }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Bench API", "version": "1"},
        "paths": paths,
        "components": {"schemas": {"Item": item}},
    }


def optimize() -> None:
    """Planner statistics for fresh bulk loads, as a live database has them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # VACUUM also merges the GIN indexes' pending lists (trigram search).
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA optimize")


def session_for(user: User) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "portal.backends.EmailBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key or ""


def admin_user() -> User:
    admin = User.objects.filter(email=ADMIN_EMAIL).first()
    if admin is None:
        admin = User.objects.create_superuser(ADMIN_EMAIL, None)
    return admin


def admin_session() -> str:
    return session_for(admin_user())


def busiest_developer_session() -> str:
    """The developer in 200 groups: the slowest case for the catalogue."""
    developer = User.objects.get(email=DEVELOPER_EMAIL)
    count = Membership.objects.filter(user=developer).count()
    print(f"developer {developer.email} is in {count} groups")
    return session_for(developer)


# The marker: what a database was seeded with, so bench/run reuses it only
# for the same seed.


def wanted_marker(params: dict) -> dict:
    return {"version": SEED_VERSION, "params": params}


def read_marker() -> dict | None:
    if MARKER_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT marker FROM {MARKER_TABLE}")
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def write_marker(marker: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {MARKER_TABLE} (marker TEXT NOT NULL)")
        cursor.execute(f"INSERT INTO {MARKER_TABLE} (marker) VALUES (%s)", [json.dumps(marker)])


def applied_migrations() -> list[str]:
    return sorted(
        f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
    )


def migrations_on_disk() -> set[str]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {f"{app}.{name}" for app, name in loader.disk_migrations}


def reusable(stored: dict | None, params: dict) -> bool:
    """The same seed, and a migration history this code can carry forward.

    A migration applied then but gone from disk since (renumbered at a
    merge, say) means the schema can't be migrated forward reliably.
    """
    if stored is None or {k: v for k, v in stored.items() if k != "migrations"} != wanted_marker(
        params
    ):
        return False
    return set(stored.get("migrations", [])) <= migrations_on_disk()


def wipe() -> None:
    """Empty the database: a new SQLite file, or a new public schema on PostgreSQL."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    else:
        path = Path(connection.settings_dict["NAME"])
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)


def prepare(params: dict) -> dict:
    """Seed, or reuse a database seeded alike; then what bench/run needs, as a dict."""
    started = time.monotonic()
    reused = reusable(read_marker(), params)
    if reused:
        call_command("migrate", verbosity=0)
        seconds = None
    else:
        wipe()
        seed(**params)
        write_marker({**wanted_marker(params), "migrations": applied_migrations()})
        seconds = round(time.monotonic() - started, 1)
    admin = admin_user()
    _, token = token_services.issue_token(user=admin, name="bench/run", days=1)
    groups = params["groups"]
    products = params["products"]
    key = (
        Subscription.objects.filter(state="active")
        .order_by("pk")
        .select_related("product")[Subscription.objects.filter(state="active").count() // 2]
    )
    return {
        "params": params,
        "reused": reused,
        "seed_seconds": seconds,
        "admin_cookie": f"sessionid={session_for(admin)}",
        "developer_cookie": f"sessionid={busiest_developer_session()}",
        "token": token,
        "key": key.primary_secret,
        "key_product": key.product.name,
        "group": f"bench-{groups // 2:05d}",
        "groups_last_page": max((groups + 3) // 25, 1),
        "user_id": User.objects.get(
            email=f"dev{params['users'] // 2 + 1:06d}@bench.example.com"
        ).pk,
        "console_product": f"bench-product-{products // 20:04d}",
        "portal_product": "bench-product-0001",
        "api": API_NAME,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="full")
    parser.add_argument("--users", type=int)
    parser.add_argument("--groups", type=int)
    parser.add_argument("--memberships", type=int)
    parser.add_argument("--products", type=int)
    parser.add_argument("--reuse", action="store_true", help="keep a database seeded alike")
    parser.add_argument("--json", action="store_true", help="print bench/run's needs as JSON")
    args = parser.parse_args()
    params = {
        name: getattr(args, name) or SCALES[args.scale][name]
        for name in ("users", "groups", "memberships", "products")
    }
    if args.reuse:
        prepared = prepare(params)
        if args.json:
            print(json.dumps(prepared))
        else:
            print(f"admin: {prepared['admin_cookie']}")
            print(f"developer: {prepared['developer_cookie']}")
    else:
        started = time.monotonic()
        seed(**params)
        print(f"seeded in {time.monotonic() - started:.0f} s")
        print(f"admin: sessionid={admin_session()}")
        print(f"developer: sessionid={busiest_developer_session()}")
