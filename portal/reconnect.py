"""Asking once more when the database has ended the connection.

The key check's listener runs no health check before a request's first
query (a round trip per call, CONN_HEALTH_CHECKS off there), so a
connection the database ended since the last request (a restart, a
failover, an idle timeout) shows as the request's first query failing.
Then, and only then, a new connection is opened and the query asked again.
A query that failed on a live connection (a timeout, a lock) is not asked
again: that would double the load on a database already struggling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError


def once_more_if_dropped[T](connection: Any, ask: Callable[[], T]) -> T:
    """ask(), and once more on a new connection if the database had ended this one."""
    try:
        return ask()
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block or not dropped(connection):
            raise
        connection.close()
        return ask()


def dropped(connection: Any) -> bool:
    """Whether the database ended this connection (psycopg marks it closed or broken)."""
    raw = connection.connection
    return raw is None or bool(getattr(raw, "closed", False) or getattr(raw, "broken", False))
