"""Backup and restore on the database the suite runs on: a backup taken while
writers keep writing restores, into an empty database, every row committed
before it began, with the schema and its constraints; and the commands refuse
what would lose data."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import load_backend

from groups import services as group_services
from groups.models import Group
from management_api import services as api_services
from portal import backup, user_search
from portal import services as user_services
from portal.models import User
from products import services as product_services
from products.models import Product
from subscriptions import services as subscription_services
from tests.conftest import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


# A second database, and reading one whole


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The settings of a new, empty database of the suite's kind, dropped afterwards."""
    settings = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        settings["NAME"] = str(tmp_path / "restored.sqlite3")
        yield settings
        return
    settings["NAME"] = f"{connection.settings_dict['NAME']}_restored"
    name = connection.ops.quote_name(settings["NAME"])
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        # template0, because CREATE DATABASE fails while anyone is connected
        # to the default template.
        cursor.execute(f"CREATE DATABASE {name} TEMPLATE template0")
    yield settings
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def opened(settings: dict[str, Any]) -> Iterator[BaseDatabaseWrapper]:
    """A connection of its own to the database these settings name."""
    other = load_backend(settings["ENGINE"]).DatabaseWrapper(settings, alias="restored")
    try:
        yield other
    finally:
        other.close()


def database_url(settings: dict[str, Any]) -> str:
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    credentials = quote(settings["USER"], safe="")
    if settings.get("PASSWORD"):
        credentials += ":" + quote(settings["PASSWORD"], safe="")
    host = settings.get("HOST") or "localhost"
    return f"postgres://{credentials}@{host}:{settings.get('PORT') or 5432}/{settings['NAME']}"


def contents(database: BaseDatabaseWrapper) -> dict[str, set[str]]:
    """Every row of every table, each one its values in column order."""
    quote_name = database.ops.quote_name
    with database.cursor() as cursor:
        rows = {}
        for table in database.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {quote_name(table)}")
            rows[table] = {repr(row) for row in cursor.fetchall()}
    return rows


# Tables whose rows are rewritten in place rather than only added: the
# shared cache (counts' generations) and the people search index's own
# storage on SQLite (its segments are merged as people are added). A row
# there read before the backup may rightly be gone from it; the index is
# checked against portal_user instead (search_index_problems).
REWRITTEN = (settings.PORTICO_SHARED_CACHE_TABLE, f"{user_search.TABLE}_")


def missing(before: dict[str, set[str]], after: dict[str, set[str]]) -> dict[str, int]:
    """How many rows of each table in `before` are not in `after`, field by field."""
    lost = {
        table: len(rows - after.get(table, set()))
        for table, rows in before.items()
        if not table.startswith(REWRITTEN)
    }
    return {table: count for table, count in lost.items() if count}


def search_index_problems(database: BaseDatabaseWrapper) -> list[str]:
    """What SQLite's integrity check finds wrong in the people search index ([] if it agrees)."""
    if database.vendor != "sqlite":
        return []
    with database.cursor() as cursor:
        try:
            cursor.execute(
                f"INSERT INTO {user_search.TABLE} ({user_search.TABLE}, rank) "
                "VALUES ('integrity-check', 1)"
            )
        except DatabaseError as error:  # the check reports a mismatch as an error
            return [str(error)]
    return []


def schema(database: BaseDatabaseWrapper) -> set[tuple[Any, ...]]:
    """Tables, indexes and constraints, with whether PostgreSQL has validated each.

    A CHECK constraint is compared by name only: PostgreSQL prints the
    `IN (...)` that Django writes in an equivalent but different form once
    it has been read back from a dump.
    """
    with database.cursor() as cursor:
        if database.vendor == "sqlite":
            cursor.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            )
        else:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname::text, contype::text, "
                "CASE contype WHEN 'c' THEN '' ELSE pg_get_constraintdef(oid) END, "
                "convalidated FROM pg_constraint "
                "WHERE connamespace = current_schema()::regnamespace "
                "UNION ALL SELECT tablename::text, indexname::text, 'i', indexdef, true "
                "FROM pg_indexes WHERE schemaname = current_schema()"
            )
        return set(cursor.fetchall())


def integrity_problems(database: BaseDatabaseWrapper) -> list[Any]:
    """What SQLite's checks find; PostgreSQL checked every constraint as pg_restore made it."""
    if database.vendor != "sqlite":
        return []
    with database.cursor() as cursor:
        cursor.execute("PRAGMA integrity_check")
        problems = [row for row in cursor.fetchall() if row != ("ok",)]
        cursor.execute("PRAGMA foreign_key_check")
        return problems + cursor.fetchall()


def restore_command(settings: dict[str, Any], file: Path, tmp_path: Path) -> str:
    """`manage.py restore FILE` in its own process, with DATABASE_URL naming `settings`."""
    environment = os.environ | {
        "DATABASE_URL": database_url(settings),
        "PORTICO_VAR_DIR": str(tmp_path / "var"),
    }
    answer = subprocess.run(
        [sys.executable, "manage.py", "restore", str(file)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    return answer.stdout


# A loaded database, and writers that keep adding to it


def fill(administrator: User) -> None:
    """People, groups, memberships, products, access, subscriptions, settings and tokens."""
    people = [
        user_services.create_user(
            email=f"dev{number}@example.com",
            first_name="Dev",
            last_name=f"Number {number}",
            password=TEST_PASSWORD,
            note="Loaded before the backup.",
        )
        for number in range(16)
    ]
    teams = [
        group_services.create_group(
            name=f"team-{number}", display_name=f"Team {number}", description="Loaded."
        )
        for number in range(4)
    ]
    for number, team in enumerate(teams):
        group_services.add_members(group=team, users=people[number::2], added_by=administrator)
    developers = Group.objects.get(name=Group.DEVELOPERS)
    products = [
        product_services.create_product(
            name=f"api-{number}",
            display_name=f"API {number}",
            description="An API *loaded* before the backup.",
            state=Product.State.PUBLISHED,
            approval_required=number % 4 == 0,
            subscriptions_limit=None if number % 2 else 5,
            groups=[teams[number % 4], developers] if number % 3 == 0 else [teams[number % 4]],
            added_by=administrator,
        )
        for number in range(8)
    ]
    for person in people:
        for product in Product.objects.visible_to(person).order_by("name")[:2]:
            subscription = subscription_services.subscribe(
                developer=person,
                product=product,
                display_name=f"{person.last_name} on {product.display_name}",
            )
            if subscription.state == "submitted" and person.pk % 2:
                subscription_services.change_state(subscription=subscription, action="approve")
    user_services.block_user(user=people[-1], actor=administrator)
    subscription_services.update_settings(
        notification_email="ops@example.com", on_access_loss="suspend"
    )
    api_services.issue_token(user=administrator, name="Deploys", days=30)
    assert len(products) == 8


class Writers:
    """Threads that keep creating rows through the services until stopped.

    They only add rows, never change one, so a row read before the backup
    must reach the copy exactly as it was read.
    """

    def __init__(self, count: int) -> None:
        self.stopping = threading.Event()
        self.commits: list[float] = []
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(count)]

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in self.threads), "a writer hung"

    def run(self, number: int) -> None:
        try:
            round_ = 0
            while not self.stopping.is_set():
                self.write(f"w{number}-{round_}")
                self.commits.append(time.monotonic())
                round_ += 1
        except BaseException as error:  # reported to the test, never swallowed
            self.errors.append(error)
        finally:
            connections.close_all()

    def write(self, tag: str) -> None:
        person = user_services.create_user(
            email=f"{tag}@example.com", first_name="Writer", last_name=tag, password=TEST_PASSWORD
        )
        team = group_services.create_group(name=tag, display_name=f"Group {tag}")
        group_services.add_members(group=team, users=[person], added_by=None)
        product = product_services.create_product(
            name=tag, display_name=f"Product {tag}", state=Product.State.PUBLISHED, groups=[team]
        )
        subscription_services.subscribe(developer=person, product=product, display_name=tag)

    def wait_for(self, commits: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.commits) < commits and not self.errors:
            assert time.monotonic() < deadline, "the writers made no progress"
            time.sleep(0.01)


def test_a_backup_taken_under_writes_restores_every_committed_row(
    administrator: User, empty_database: dict[str, Any], tmp_path: Path
) -> None:
    fill(administrator)
    file = tmp_path / "portico.backup"
    with Writers(2) as writers:
        writers.wait_for(commits=4)
        # Read after those commits, so every row here was committed before
        # the backup began; the writers go on committing throughout.
        before = contents(connection)
        live_schema = schema(connection)
        call_command("backup", str(file), verbosity=0)
        # Writers still get through afterwards: the backup left no lock behind.
        writers.wait_for(commits=len(writers.commits) + 2)
    assert writers.errors == []
    loaded = ["groups_membership", "products_productgroup", "products_subscription"]
    assert all(before[table] for table in [*loaded, "api_accesstoken", "portal_portalsettings"])

    output = restore_command(empty_database, file, tmp_path)

    with opened(empty_database) as restored:
        after = contents(restored)
        assert set(after) == set(before)
        assert missing(before, after) == {}
        assert schema(restored) == live_schema
        assert integrity_problems(restored) == []
        assert search_index_problems(restored) == []
        # The restore reports what it wrote, which is at least what was read.
        # (SQLite's own statistics tables, made by ANALYZE, are copied but not counted.)
        ours = [table for table in before if not table.startswith("sqlite_")]
        assert f"{len(ours)} tables, " in output
        assert sum(map(len, after.values())) >= sum(map(len, before.values()))

        # The check sees a lost row and a lost table.
        with restored.cursor() as cursor:
            cursor.execute(
                "DELETE FROM products_subscription WHERE id = (SELECT MIN(id) FROM "
                "products_subscription)"
            )
            cursor.execute("DROP TABLE api_accesstoken")
        damaged = contents(restored)
    assert missing(before, damaged) == {"products_subscription": 1, "api_accesstoken": 1}


def test_a_backup_does_not_wait_for_a_transaction_in_flight_and_leaves_it_out(
    tmp_path: Path, administrator: User
) -> None:
    holding, release = threading.Event(), threading.Event()

    def write_and_hold() -> None:
        try:
            with transaction.atomic():
                group_services.create_group(name="in-flight", display_name="In flight")
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    writer = threading.Thread(target=write_and_hold)
    writer.start()
    try:
        assert holding.wait(timeout=10)
        summary = backup.backup(connection=connection, target=tmp_path / "in-flight.backup")
    finally:
        release.set()
        writer.join(timeout=30)
    assert Group.objects.count() == summary.tables["groups_group"] + 1
    assert Group.objects.filter(name="in-flight").exists()


# What the commands refuse


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(
    tmp_path: Path, administrator: User
) -> None:
    file = tmp_path / "portico.backup"
    call_command("backup", str(file), verbosity=0)
    group_services.create_group(name="after", display_name="Made after the backup")

    with pytest.raises(CommandError, match="is not empty.*Run again with --force"):
        call_command("restore", str(file))
    assert Group.objects.filter(name="after").exists()

    call_command("restore", str(file), force=True, verbosity=0)
    assert not Group.objects.filter(name="after").exists()
    assert User.objects.filter(pk=administrator.pk).exists()


def test_backup_never_overwrites_a_file(tmp_path: Path) -> None:
    file = tmp_path / "portico.backup"
    file.write_text("an older backup")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(file))
    assert file.read_text() == "an older backup"
    assert list(tmp_path.iterdir()) == [file]


# The start of a backup of the other kind than the suite's database.
OTHER_KIND = (
    (b"PGDMP\x01\x0e\x00", "a PostgreSQL backup, but DATABASE_URL names the SQLite")
    if connection.vendor == "sqlite"
    else (b"SQLite format 3\x00", "a SQLite backup, but DATABASE_URL names the PostgreSQL")
)


@pytest.mark.parametrize(
    ("header", "refusal"),
    [OTHER_KIND, (b"name,email\n", "neither a SQLite backup nor a pg_dump archive")],
    ids=["other-kind", "not-a-backup"],
)
def test_restore_refuses_a_file_that_is_not_a_backup_of_this_kind(
    tmp_path: Path, header: bytes, refusal: str
) -> None:
    file = tmp_path / "portico.backup"
    file.write_bytes(header + b"\x00" * 100)
    with pytest.raises(CommandError, match=refusal):
        call_command("restore", str(file))


def test_pg_tool_names_the_package_to_install_when_missing_or_too_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(backup.BackupError, match="pg_dump is not installed.*postgresql-client-16"):
        backup.pg_tool("pg_dump", server_major=16, at_least_server=True)

    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 15.20'\n")
    fake.chmod(0o755)
    with pytest.raises(backup.BackupError, match="version 15 but the server runs PostgreSQL 16"):
        backup.pg_tool("pg_dump", server_major=16, at_least_server=True)
    assert backup.pg_tool("pg_dump", server_major=15, at_least_server=True) == (str(fake), 15)


def test_backup_without_pg_dump_says_so_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    if connection.vendor == "postgresql":
        with pytest.raises(CommandError, match="pg_dump is not installed"):
            call_command("backup", str(tmp_path / "portico.backup"))
    else:
        # SQLite needs no pg_dump; the lookup a PostgreSQL backup starts with still says what to do.
        with pytest.raises(backup.BackupError, match="apt-get install postgresql-client-15"):
            backup.pg_tool("pg_dump", server_major=15, at_least_server=True)
    assert list(tmp_path.iterdir()) == []
