"""The "shared" cache without Redis: Django's database cache, with counting in one step.

Django's DatabaseCache.incr reads the value, then writes it back, so two
processes counting at once may both write the same number and lose a count
(a rate limit then lets more through). Here each incr holds a lock until its
transaction ends: on PostgreSQL an advisory lock on the key; SQLite's
IMMEDIATE transactions (portal.settings) take the database's write lock at
the start, so the read already happens under it.
"""

from __future__ import annotations

import zlib
from typing import Any

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction


class CountingDatabaseCache(DatabaseCache):
    def __init__(self, table: str, params: dict[str, Any]) -> None:
        super().__init__(table, params)
        self.table = table

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        database = router.db_for_write(self.cache_model_class)
        connection = connections[database]
        with transaction.atomic(using=database):
            if connection.vendor == "postgresql":
                name = self.make_and_validate_key(key, version)
                with connection.cursor() as cursor:
                    # Two 32-bit numbers: this table's, and the key's.
                    cursor.execute(
                        "SELECT pg_advisory_xact_lock(%s, %s)",
                        [
                            _signed(zlib.crc32(self.table.encode())),
                            _signed(zlib.crc32(name.encode())),
                        ],
                    )
            return super().incr(key, delta, version)


def _signed(number: int) -> int:
    return number - (1 << 32) if number >= 1 << 31 else number
