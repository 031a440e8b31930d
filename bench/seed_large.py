"""Fill a database with the sizes Portico must stay fast at.

100,000 users, 5,000 groups and 1,000,000 memberships by default. Run it
against a throwaway database:

    PORTICO_VAR_DIR=$(mktemp -d) .venv/bin/python bench/seed_large.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portico_bench \
        .venv/bin/python bench/seed_large.py

It prints a session cookie of an administrator, for loading console pages.
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
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from groups.models import Group, Membership  # noqa: E402
from portal.models import User  # noqa: E402

BATCH = 10_000
# A step coprime with the number of users walks through distinct users.
STEP = 37


def seed(users: int, groups: int, memberships: int) -> None:
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
    # Fresh bulk loads have no planner statistics yet; a live database does.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def admin_session() -> str:
    admin = User.objects.filter(email="bench-admin@example.com").first()
    if admin is None:
        admin = User.objects.create_superuser("bench-admin@example.com", None)
    session = SessionStore()
    session[SESSION_KEY] = str(admin.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = admin.get_session_auth_hash()
    session.create()
    return session.session_key or ""


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=5_000)
    parser.add_argument("--memberships", type=int, default=1_000_000)
    args = parser.parse_args()
    seed(args.users, args.groups, args.memberships)
    print(f"sessionid={admin_session()}")
