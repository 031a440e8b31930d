"""Fill a database with the sizes Portico must stay fast at.

100,000 users, 5,000 groups, 1,000,000 memberships and 2,000 products
(each shared with three custom groups; one in ten also with Developers, one
in twenty with Guests) by default. Run it
against a throwaway database:

    PORTICO_VAR_DIR=$(mktemp -d) .venv/bin/python bench/seed_large.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portico_bench \
        .venv/bin/python bench/seed_large.py

It prints session cookies of an administrator and of a developer in 200
groups, for loading console and portal pages.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from groups.models import Group, Membership  # noqa: E402
from portal.models import User  # noqa: E402
from products.models import Product, ProductGroup  # noqa: E402

BATCH = 10_000
# A step coprime with the number of users walks through distinct users.
STEP = 37


def seed(users: int, groups: int, memberships: int, products: int) -> None:
    call_command("migrate", verbosity=0)
    now = timezone.now()
    started = time.monotonic()
    if User.objects.count() < users:
        for start in range(0, users, BATCH):
            with transaction.atomic():
                User.objects.bulk_create(
                    User(
                        email=f"dev{i:06d}@bench.example.com",
                        first_name=f"First{i % 997}",
                        last_name=f"Last{i % 1009}",
                        password="!",
                        registration_date=now,
                        state="blocked" if i % 50 == 0 else "active",
                    )
                    for i in range(start, min(start + BATCH, users))
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
        rows: list[Membership] = []
        for g_index, group_id in enumerate(group_ids):
            first = g_index * 7919
            for k in range(per_group):
                user_id = user_ids[(first + k * STEP) % len(user_ids)]
                rows.append(Membership(group_id=group_id, user_id=user_id, added_at=now))
            if len(rows) >= BATCH:
                with transaction.atomic():
                    Membership.objects.bulk_create(rows, ignore_conflicts=True)
                rows = []
        with transaction.atomic():
            Membership.objects.bulk_create(rows, ignore_conflicts=True)
    print(f"memberships: {Membership.objects.count():,} ({time.monotonic() - started:.0f} s)")
    started = time.monotonic()
    if Product.objects.count() < products:
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
            if index % 10 == 0:
                chosen.add(system["developers"])
            if index % 20 == 0:
                chosen.add(system["guests"])
            links += [ProductGroup(product_id=product_id, group_id=g) for g in chosen]
        ProductGroup.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
    print(f"products: {Product.objects.count():,} ({time.monotonic() - started:.0f} s)")
    # Fresh bulk loads have no planner statistics yet; a live database does.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def session_for(user: User) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "portal.backends.EmailBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key or ""


def admin_session() -> str:
    admin = User.objects.filter(email="bench-admin@example.com").first()
    if admin is None:
        admin = User.objects.create_superuser("bench-admin@example.com", None)
    return session_for(admin)


def busiest_developer_session() -> str:
    """A developer in many groups: the slowest case for the catalogue."""
    busiest = (
        Membership.objects.values("user_id").annotate(n=models.Count("pk")).order_by("-n").first()
    )
    developer = User.objects.get(pk=busiest["user_id"]) if busiest else User.objects.first()
    User.objects.filter(pk=developer.pk).update(state="active")
    developer.refresh_from_db()
    print(f"developer {developer.email} is in {busiest['n'] if busiest else 0} groups")
    return session_for(developer)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=5_000)
    parser.add_argument("--memberships", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=2_000)
    args = parser.parse_args()
    seed(args.users, args.groups, args.memberships, args.products)
    print(f"admin: sessionid={admin_session()}")
    print(f"developer: sessionid={busiest_developer_session()}")
