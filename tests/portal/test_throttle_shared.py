"""The reset and sign-up limits count in the "shared" cache, so every process and node counts
alike: two cache clients (as two processes would hold) see one count."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory

from portal import throttle
from portal.cache import CountingDatabaseCache


@pytest.fixture
def as_process() -> Iterator[Callable[[BaseCache], None]]:
    """Makes throttle count through the given cache client, as one process's would."""

    def use(client: BaseCache) -> None:
        caches["shared"] = client

    yield use
    del caches["shared"]


def ask_reset_through(
    clients: list[BaseCache], use: Callable[[BaseCache], None], times: int
) -> list[bool]:
    """Password resets for one email from one address, each through the next client in turn."""
    request = RequestFactory().post("/password-reset/", REMOTE_ADDR="203.0.113.9")
    answers = []
    for turn in range(times):
        use(clients[turn % len(clients)])
        answers.append(throttle.reset_allowed(request, "someone@example.com"))
    return answers


def expected(limit: int, times: int) -> list[bool]:
    return [turn < limit for turn in range(times)]


@pytest.mark.django_db
def test_two_database_cache_clients_count_as_one(as_process):
    limit = settings.PORTICO_RESET_LIMIT_PER_ACCOUNT
    table = settings.PORTICO_SHARED_CACHE_TABLE
    clients: list[BaseCache] = [CountingDatabaseCache(table, {}), CountingDatabaseCache(table, {})]
    assert ask_reset_through(clients, as_process, limit + 2) == expected(limit, limit + 2)


@pytest.mark.django_db
def test_process_memory_would_not_share_the_count(as_process):
    """What the shared cache prevents: each process's own memory lets each one count afresh."""
    limit = settings.PORTICO_RESET_LIMIT_PER_ACCOUNT
    clients: list[BaseCache] = [
        LocMemCache(f"one-{uuid.uuid4()}", {}),
        LocMemCache(f"two-{uuid.uuid4()}", {}),
    ]
    answers = ask_reset_through(clients, as_process, limit + 2)
    assert answers != expected(limit, limit + 2)
    assert all(answers[: 2 * limit])


def redis_client(url: str, prefix: str) -> Any:
    return RedisCache(url, {"KEY_PREFIX": prefix, "OPTIONS": {"socket_timeout": 2}})


@pytest.mark.django_db
def test_two_redis_cache_clients_count_as_one(as_process, redis_url):
    limit = settings.PORTICO_RESET_LIMIT_PER_ACCOUNT
    # A database number of this test's own, since clear() empties the whole of it.
    url = redis_url.rsplit("/", 1)[0] + "/13"
    prefix = f"throttle-{uuid.uuid4().hex}"
    clients: list[BaseCache] = [redis_client(url, prefix), redis_client(url, prefix)]
    try:
        assert ask_reset_through(clients, as_process, limit + 2) == expected(limit, limit + 2)
    finally:
        clients[0].clear()
