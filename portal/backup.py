"""Back up the database DATABASE_URL names while Portico serves, and restore it.

SQLite goes through its online backup API and PostgreSQL through pg_dump
and pg_restore. A backup restores only into the kind of database it came
from. The commands `backup` and `restore` are the way in.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

SQLITE_HEADER = b"SQLite format 3\x00"
PG_ARCHIVE_HEADER = b"PGDMP"
VENDORS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# libpq reads these from the environment; DATABASE_URL may set them as options.
PG_OPTION_VARIABLES = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
}


class BackupError(Exception):
    """A backup or restore that can't go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Summary:
    """What a backup holds or a restore wrote: rows per table, and the checks passed."""

    tables: dict[str, int]
    checks: str
    replaced: dict[str, int] | None = None

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def describe(connection: BaseDatabaseWrapper) -> str:
    """The database a connection points at, in words, without its password."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"the SQLite database {settings['NAME']}"
    if not settings.get("HOST"):
        return f"the PostgreSQL database {settings['NAME']} on the local server"
    where = f"{settings['HOST']}:{settings.get('PORT') or 5432}"
    return f"the PostgreSQL database {settings['NAME']} on {where}"


def kind_of(path: Path) -> str | None:
    """Which kind of backup a file is, "sqlite" or "postgresql"; None for neither."""
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header == SQLITE_HEADER:
        return "sqlite"
    if header.startswith(PG_ARCHIVE_HEADER):
        return "postgresql"
    return None


def backup(*, connection: BaseDatabaseWrapper, target: Path) -> Summary:
    """Copy the database into a new file at `target`, and check the copy."""
    _supported(connection)
    if target.exists():
        raise BackupError(
            f"{target} already exists; a backup never overwrites one. Choose a new name "
            "(say, one with the date in it) or move the old file away."
        )
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    # The copy is written beside the target and renamed into place once it has
    # passed its checks, so `target` is never a half-written backup.
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    partial = Path(name)
    try:
        if connection.vendor == "sqlite":
            summary = _backup_sqlite(connection, partial)
        else:
            summary = _backup_postgresql(connection, partial)
        partial.replace(target)
    except sqlite3.Error as error:
        raise BackupError(f"SQLite failed: {error}.") from None
    finally:
        partial.unlink(missing_ok=True)
    return summary


def restore(*, connection: BaseDatabaseWrapper, source: Path, force: bool) -> Summary:
    """Replace the database's contents with a backup; refuse a non-empty one unless forced."""
    _supported(connection)
    if not source.is_file():
        raise BackupError(f"There is no backup at {source}.")
    kind = kind_of(source)
    if kind is None:
        raise BackupError(
            f"{source} is neither a SQLite backup nor a pg_dump archive (--format=custom)."
        )
    if kind != connection.vendor:
        raise BackupError(
            f"{source} is a {VENDORS[kind]} backup, but DATABASE_URL names "
            f"{describe(connection)}. A backup restores only into the kind of database it "
            "came from."
        )
    if connection.vendor == "postgresql":
        return _restore_postgresql(connection, source, force=force)
    try:
        return _restore_sqlite(connection, source, force=force)
    except sqlite3.Error as error:
        raise BackupError(f"SQLite failed: {error}.") from None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _supported(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor not in VENDORS:
        raise BackupError(f"Backups work on SQLite and PostgreSQL, not {connection.vendor}.")


def _refuse_unless_empty(
    connection: BaseDatabaseWrapper, existing: dict[str, int], *, force: bool
) -> None:
    if existing and not force:
        raise BackupError(
            f"{_sentence(describe(connection))} is not empty: it has {len(existing)} "
            f"tables holding {sum(existing.values()):,} rows. Restoring replaces all of "
            "it. Run again with --force to overwrite it, or point DATABASE_URL at a new, "
            "empty database."
        )


# SQLite


def _sqlite_path(connection: BaseDatabaseWrapper) -> Path:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("An in-memory SQLite database can't be backed up or restored.")
    return Path(name).resolve()


def _open_existing(path: Path, **options: Any) -> sqlite3.Connection:
    """A connection to a SQLite file that must exist (sqlite3 would create it)."""
    return sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, **options)


def _sqlite_tables(database: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in database.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]
    return {
        name: database.execute(f"SELECT COUNT(*) FROM {_quoted(name)}").fetchone()[0]
        for name in names
    }


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _check_sqlite(database: sqlite3.Connection, what: str) -> str:
    problems = [row[0] for row in database.execute("PRAGMA integrity_check") if row[0] != "ok"]
    problems += [
        f"a row of {table} (rowid {rowid}) points to a missing row of {parent}"
        for table, rowid, parent, _ in database.execute("PRAGMA foreign_key_check")
    ]
    if problems:
        listed = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise BackupError(f"{what} fails SQLite's checks: {listed}{more}")
    return "integrity_check ok, foreign_key_check ok"


def _backup_sqlite(connection: BaseDatabaseWrapper, partial: Path) -> Summary:
    live = _sqlite_path(connection)
    if not live.is_file():
        raise BackupError(f"There is no database at {live} yet; run manage.py migrate first.")
    with (
        closing(_open_existing(live, timeout=20)) as source,
        closing(sqlite3.connect(partial)) as copy,
    ):
        # One step, not pages with a sleep between them: the step reads from
        # one WAL snapshot, which never blocks writers, while a paged copy
        # starts over whenever another connection writes between two steps,
        # so under steady traffic it never ends. Writers meanwhile only grow
        # the WAL, which the next checkpoint after the copy folds back.
        source.backup(copy)
        # The copy inherits WAL mode from the live file; a backup is one
        # self-contained file, without -wal and -shm beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        checks = _check_sqlite(copy, "The copy")
        tables = _sqlite_tables(copy)
    return Summary(tables=tables, checks=checks)


def _restore_sqlite(connection: BaseDatabaseWrapper, source: Path, *, force: bool) -> Summary:
    live = _sqlite_path(connection)
    if not live.parent.is_dir():
        raise BackupError(f"The folder {live.parent} does not exist.")
    with closing(_open_existing(source)) as backup_file:
        _check_sqlite(backup_file, str(source))
    existing: dict[str, int] = {}
    if live.is_file():
        with closing(_open_existing(live, timeout=20)) as current:
            existing = _sqlite_tables(current)
    _refuse_unless_empty(connection, existing, force=force)
    connection.close()
    # The backup API in reverse replaces every page under SQLite's own locks,
    # so connections still open on the file see the restored database rather
    # than a file swapped under them with a stale -wal beside it.
    with (
        closing(_open_existing(source)) as backup_file,
        closing(sqlite3.connect(live, timeout=20)) as restored,
    ):
        backup_file.backup(restored)
        restored.execute("PRAGMA journal_mode=WAL")
        checks = _check_sqlite(restored, "The restored database")
        tables = _sqlite_tables(restored)
    return Summary(tables=tables, checks=checks, replaced=existing)


# PostgreSQL


def _major(version: str) -> int:
    found = re.search(r"(\d+)(?:\.\d+)*", version)
    if found is None:
        raise BackupError(f"Can't read a version number in {version!r}.")
    return int(found[1])


def _server_major(connection: BaseDatabaseWrapper) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::integer")
        return int(cursor.fetchone()[0]) // 10000


def pg_tool(name: str, *, server_major: int, at_least_server: bool) -> tuple[str, int]:
    """The path and major version of pg_dump or pg_restore, or a BackupError saying what to install.

    pg_dump refuses a server newer than itself, so `at_least_server` asks
    for that before it runs.
    """
    package = f"postgresql-client-{server_major}"
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed (or not on PATH). Install PostgreSQL's client tools, "
            f"version {server_major} or newer (on Debian: apt-get install {package})."
        )
    answer = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    major = _major(answer.stdout)
    if at_least_server and major < server_major:
        raise BackupError(
            f"{name} is version {major} but the server runs PostgreSQL {server_major}; "
            f"{name} can't work with a server newer than itself. Install the client tools "
            f"of version {server_major} or newer (on Debian: apt-get install {package}) and "
            "put them first on PATH."
        )
    return path, major


def _pg_arguments(connection: BaseDatabaseWrapper) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump and pg_restore; the password goes in the environment."""
    settings = connection.settings_dict
    arguments = ["--no-password"]  # fail at once rather than wait at a prompt
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings.get(key):
            arguments.append(f"{option}={settings[key]}")
    arguments.append(f"--dbname={settings['NAME']}")
    environment = dict(os.environ)
    if settings.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings["PASSWORD"])
    for option, variable in PG_OPTION_VARIABLES.items():
        if value := settings.get("OPTIONS", {}).get(option):
            environment[variable] = str(value)
    return arguments, environment


def _run(command: list[str], environment: dict[str, str] | None = None) -> str:
    answer = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if answer.returncode != 0:
        message = answer.stderr.strip() or f"it exited with status {answer.returncode}"
        raise BackupError(f"{Path(command[0]).name} failed: {message}")
    return answer.stdout


def _pg_tables(connection: BaseDatabaseWrapper) -> dict[str, int]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        names = sorted(connection.introspection.table_names(cursor))
        tables = {}
        for name in names:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(name)}")
            tables[name] = cursor.fetchone()[0]
    return tables


@contextmanager
def _exported_snapshot(connection: BaseDatabaseWrapper) -> Iterator[str]:
    """A read-only snapshot that pg_dump can share, held open until the block ends."""
    if connection.in_atomic_block:
        raise BackupError("A PostgreSQL backup can't run inside a transaction.")
    connection.ensure_connection()
    connection.set_autocommit(False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            yield cursor.fetchone()[0]
    finally:
        connection.rollback()
        connection.set_autocommit(True)


def _backup_postgresql(connection: BaseDatabaseWrapper, partial: Path) -> Summary:
    server_major = _server_major(connection)
    pg_dump, _ = pg_tool("pg_dump", server_major=server_major, at_least_server=True)
    arguments, environment = _pg_arguments(connection)
    # pg_dump reads the snapshot this transaction exported, so the rows
    # counted here are exactly the rows in the archive.
    with _exported_snapshot(connection) as snapshot:
        tables = _pg_tables(connection)
        _run(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={partial}", *arguments],
            environment,
        )
    # Reading the archive's table of contents back is its integrity check.
    pg_restore, _ = pg_tool("pg_restore", server_major=server_major, at_least_server=False)
    listing = _run([pg_restore, "--list", str(partial)])
    entries = listing.count(" TABLE DATA ")
    return Summary(tables=tables, checks=f"pg_restore --list ok, {entries} tables with data")


def _restore_postgresql(connection: BaseDatabaseWrapper, source: Path, *, force: bool) -> Summary:
    server_major = _server_major(connection)
    pg_restore, client_major = pg_tool(
        "pg_restore", server_major=server_major, at_least_server=False
    )
    try:
        listing = _run([pg_restore, "--list", str(source)])
    except BackupError as error:
        raise BackupError(
            f"pg_restore {client_major} can't read {source} ({error}). An archive made by "
            "a newer pg_dump needs a pg_restore at least as new."
        ) from None
    dumped_from = re.search(r"Dumped from database version: (\S+)", listing)
    origin_major = _major(dumped_from[1]) if dumped_from else server_major
    if origin_major > server_major:
        raise BackupError(
            f"{source} comes from PostgreSQL {origin_major}, and this server runs "
            f"{server_major}. Restore it into a server at least as new as the one it came from."
        )
    existing = _pg_tables(connection)
    _refuse_unless_empty(connection, existing, force=force)
    arguments, environment = _pg_arguments(connection)
    # Owners and grants are the receiving server's business: its roles may
    # differ. One transaction, so a failed restore leaves the database as it was.
    command = [pg_restore, "--no-owner", "--no-privileges", "--single-transaction"]
    if existing:
        command += ["--clean", "--if-exists"]
    connection.close()
    _run([*command, *arguments, str(source)], environment)
    tables = _pg_tables(connection)
    return Summary(
        tables=tables,
        checks="pg_restore ok in one transaction (constraints and foreign keys recreated)",
        replaced=existing,
    )


def table_lines(tables: dict[str, int]) -> list[str]:
    """One line per table with its row count, for a command's verbose output."""
    width = max((len(name) for name in tables), default=0)
    return [f"  {name:<{width}}  {count:>9,}" for name, count in tables.items()]
