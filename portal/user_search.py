"""The index that finds people by part of their email or name, on SQLite.

An FTS5 table with the trigram tokenizer holds each account's email, first
and last name (case folded), kept in step with portal_user by triggers.
UserQuerySet.search narrows a search to the rows it matches, then applies
the same LIKE filters as without it, so the index changes how fast a search
is, never what it finds. PostgreSQL has trigram GIN indexes instead
(migration 0002), which its planner uses for those LIKE filters directly.

Trigrams need three characters: shorter words are matched by LIKE alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

TABLE = "portal_user_search"
# The shortest word the index can find.
MIN_WORD = 3
# Up to this many matches, a search looks them up by id.
FEW = 2000

_COLUMNS = "email, first_name, last_name"
_OLD = "old.id, old.email, old.first_name, old.last_name"
_NEW = "new.id, new.email, new.first_name, new.last_name"
_REMOVE = f"INSERT INTO {TABLE} ({TABLE}, rowid, {_COLUMNS}) VALUES ('delete', {_OLD});"
_ADD = f"INSERT INTO {TABLE} (rowid, {_COLUMNS}) VALUES ({_NEW});"
# Django's save() writes every column; a save that leaves the searched ones
# as they were (a sign-in's last_login, a state change) skips the index.
_CHANGED = (
    "old.email IS NOT new.email OR old.first_name IS NOT new.first_name "
    "OR old.last_name IS NOT new.last_name"
)
TRIGGERS = {
    f"{TABLE}_insert": f"AFTER INSERT ON portal_user BEGIN {_ADD} END",
    f"{TABLE}_delete": f"AFTER DELETE ON portal_user BEGIN {_REMOVE} END",
    f"{TABLE}_update": f"AFTER UPDATE ON portal_user WHEN {_CHANGED} BEGIN {_REMOVE} {_ADD} END",
}


def install(connection: Any) -> None:
    """Create the index and its triggers, filled from portal_user (SQLite only)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        # An external-content table: the text stays in portal_user only.
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
            f"{_COLUMNS}, content='portal_user', content_rowid='id', "
            "tokenize='trigram case_sensitive 0')"
        )
    repair(connection, rebuild=True)


def repair(connection: Any, *, rebuild: bool = False) -> bool:
    """Put back any trigger that is missing, and then rebuild the index.

    SQLite drops a table's triggers with it, and Django's schema editor
    changes a column on SQLite by copying the table into a new one: after
    such a migration of portal_user the triggers are gone and the index
    stale. Run after every migrate; returns whether anything was repaired.
    """
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, type FROM sqlite_master WHERE name LIKE %s", [f"{TABLE}%"])
        present = dict(cursor.fetchall())
        if present.get(TABLE) != "table":
            return False  # not installed (or migrated back before it)
        missing = [name for name in TRIGGERS if name not in present]
        for name in missing:
            cursor.execute(f"CREATE TRIGGER {name} {TRIGGERS[name]}")
        if missing or rebuild:
            cursor.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('rebuild')")
    return bool(missing)


def uninstall(connection: Any) -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def few_matching_ids(connection: Any, words: Sequence[str]) -> list[int] | None:
    """The ids of accounts containing every word (each MIN_WORD characters or more), or
    None when there are more than FEW of them.

    Many matches are dense among all accounts: reading accounts in the
    page's order with LIKE finds a page (and a capped count) sooner than
    looking every match up. FTS5 reads its index lazily, so finding out
    that there are many stops at FEW + 1.

    Each word is an FTS5 string (in double quotes, inner quotes doubled),
    so no character of a search is read as FTS5 syntax; a string of
    trigrams matches where its text appears within one column.
    """
    expression = " AND ".join('"' + word.replace('"', '""') + '"' for word in words)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s LIMIT %s", [expression, FEW + 1]
        )
        found = [row[0] for row in cursor.fetchall()]
    return found if len(found) <= FEW else None
