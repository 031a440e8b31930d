"""Counts (and other small reads) that busy pages show, kept in the "shared" cache
until what they read changes.

A count is stored tagged with a generation, a random token kept under its
own key. Whatever may change the count writes a new generation (changed());
a count tagged with another generation than the current one is counted
again. So a count taken just before a change and stored just after it is
never shown, and every node (they share the cache) sees a change at once.

changed() writes the new generation at once. With the database cache (no
Redis) that write is part of the change's transaction and commits with it.
With Redis it is visible before the commit, and a count taken meanwhile
(still the old rows) would carry it, so a second write after the commit
retires that count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection, transaction
from redis.exceptions import RedisError

from portal.models import User

logger = logging.getLogger(__name__)
# What Redis raises when it is gone. The database cache's errors are the
# database's own: the change (or the page) fails with them anyway.
CACHE_ERRORS = (RedisError, OSError)


@dataclass(frozen=True)
class CachedValue[T]:
    """A read kept in the shared cache under a generation that changed() renews."""

    key: str
    # Belt and braces: a change made behind the ORM's back (raw SQL, a bulk
    # UPDATE or bulk_create, which send no signals) shows within this time.
    seconds: int = 300

    @property
    def generation_key(self) -> str:
        return f"{self.key}:generation"

    def get(self, count: Callable[[], T]) -> T:
        """The stored value if nothing changed since it was read; else count() (and store it).

        A cache that doesn't answer (Redis down) costs the read, not the page.
        """
        try:
            return self._cached(count)
        except CACHE_ERRORS:
            logger.warning("The shared cache did not answer; counting %s directly", self.key)
            return count()

    def _cached(self, count: Callable[[], T]) -> T:
        cache = caches["shared"]
        found = cache.get_many([self.generation_key, self.key])
        generation = found.get(self.generation_key)
        if generation is None:
            generation = uuid4().hex
            cache.set(self.generation_key, generation, timeout=None)
        stored = found.get(self.key)
        if stored is not None and stored[0] == generation:
            value: T = stored[1]
            return value
        counted = count()
        cache.set(self.key, (generation, counted), timeout=self.seconds)
        return counted

    def changed(self) -> None:
        """What this counts may have changed: the next get() counts again."""
        self._new_generation()
        shared = caches["shared"]
        if connection.in_atomic_block and not isinstance(shared, DatabaseCache):
            transaction.on_commit(self._new_generation)

    def _new_generation(self) -> None:
        # A change must not fail because the cache is down: the stored
        # count then expires within `seconds`, and the log says why.
        try:
            caches["shared"].set(self.generation_key, uuid4().hex, timeout=None)
        except CACHE_ERRORS:
            logger.warning("The shared cache did not answer; %s may be stale a while", self.key)


class CachedCount(CachedValue[int]):
    """A count kept in the shared cache."""


ACTIVE_PEOPLE = CachedCount("people:active")
ACCOUNTS = CachedCount("people:all")


def accounts() -> int:
    """How many accounts there are, in any state (the console's Overview), cached."""
    return ACCOUNTS.get(lambda: User.objects.count())


def active_people() -> int:
    """How many accounts can sign in (the Developers group's members), cached.

    Counting them reads one index entry per account (100,000 at full size);
    portal.apps connects every save of an account's state, and every
    deletion, to ACTIVE_PEOPLE.changed().
    """
    return ACTIVE_PEOPLE.get(lambda: User.objects.active().count())


def account_saved(created: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    """post_save of an account: a new account, or a changed state, changes who can sign in."""
    if created:
        ACCOUNTS.changed()
    if update_fields is None or "state" in update_fields:
        ACTIVE_PEOPLE.changed()


def account_deleted(**kwargs: Any) -> None:
    ACCOUNTS.changed()
    ACTIVE_PEOPLE.changed()
