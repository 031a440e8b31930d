"""What /health/ checks: a list of (name, check) pairs, so another check is one more line.

A check returns what is worth showing (never a secret or an address with a
password in it) or raises; the error's class name is all /health/ shows of it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.db.models import Q
from django.utils import timezone
from redis import Redis

from portal import jobs
from portal.models import Job
from portal.reconnect import once_more_if_dropped

logger = logging.getLogger(__name__)

Check = Callable[[], dict[str, Any]]


class CheckFailed(Exception):
    """A check's failure, with what it can still say (say, which backend failed)."""

    def __init__(self, error: BaseException, **details: Any) -> None:
        super().__init__(type(error).__name__)
        self.details = {"error": type(error).__name__, **details}


def database() -> dict[str, Any]:
    connection = connections["default"]
    # On the key check's listener (no health check before a request's
    # first query) a connection the database ended shows here first.
    once_more_if_dropped(connection, lambda: _select_one(connection))
    return {"vendor": connection.vendor}


def _select_one(connection: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


BACKENDS = {
    "django.core.cache.backends.redis.RedisCache": "redis",
    "django.core.cache.backends.locmem.LocMemCache": "locmem",
    "django.core.cache.backends.db.DatabaseCache": "database",
    "portal.cache.CountingDatabaseCache": "database",
}


def backend_of(alias: str) -> str:
    cache = caches[alias]
    path = f"{type(cache).__module__}.{type(cache).__name__}"
    return BACKENDS.get(path, type(cache).__name__)


def cache() -> dict[str, Any]:
    """Writes and reads back a value in each cache: "default", and "shared" (the counters')."""
    for alias in ("default", "shared"):
        token = secrets.token_hex(8)
        try:
            caches[alias].set("health", token, timeout=30)
            read = caches[alias].get("health")
        except Exception as error:
            raise CheckFailed(error, backend=backend_of("default"), failed=alias) from error
        if read != token:
            raise CheckFailed(LookupError(), backend=backend_of("default"), failed=alias)
    return {"backend": backend_of("default"), "shared": backend_of("shared")}


def queue() -> dict[str, Any]:
    """The background jobs' queue answers; how many jobs are due and waiting, and live workers.

    No live worker is reported, not failed: the node itself still serves,
    and a load balancer must not take it out of service for that.
    """
    if settings.PORTICO_TASK_QUEUE == "redis":
        try:
            with Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
            ) as connection:
                connection.ping()
        except Exception as error:
            raise CheckFailed(error, backend="redis") from error
    now = timezone.now()
    due = Job.objects.filter(state=Job.State.QUEUED).filter(
        Q(run_after__isnull=True) | Q(run_after__lte=now)
    )
    oldest = due.order_by("created_at").values_list("created_at", flat=True).first()
    workers = jobs.live_workers()
    result: dict[str, Any] = {
        "backend": settings.PORTICO_TASK_QUEUE,
        "workers": workers,
        "oldest_waiting_seconds": int((now - oldest).total_seconds()) if oldest else 0,
    }
    if not workers:
        result["warning"] = "no worker seen lately: background jobs wait"
    return result


CHECKS: list[tuple[str, Check]] = [
    ("database", database),
    ("cache", cache),
    ("queue", queue),
]


def report() -> dict[str, Any]:
    """Every check's result, and "ok" only when all passed."""
    checks: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS:
        try:
            checks[name] = {"ok": True, **check()}
        except CheckFailed as failure:
            logger.warning("Health check %s failed", name, exc_info=failure.__cause__)
            checks[name] = {"ok": False, **failure.details}
        except Exception as error:
            logger.warning("Health check %s failed", name, exc_info=error)
            checks[name] = {"ok": False, "error": type(error).__name__}
    healthy = all(result["ok"] for result in checks.values())
    return {"status": "ok" if healthy else "failing", "checks": checks}
