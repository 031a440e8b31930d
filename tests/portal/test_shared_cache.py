"""The "shared" cache without Redis: a database table every process counts in, one step a count."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import caches

from tests.concurrency import run_together

THREADS = 6
EACH = 10


@pytest.mark.django_db(transaction=True)
def test_counts_racing_from_several_connections_are_all_kept():
    shared = caches["shared"]
    assert settings.CACHES["shared"]["LOCATION"] == settings.PORTICO_SHARED_CACHE_TABLE
    shared.set("race", 0, timeout=60)

    def count(index: int) -> None:
        for _ in range(EACH):
            caches["shared"].incr("race")

    _, errors = run_together(THREADS, count)
    assert errors == []
    assert shared.get("race") == THREADS * EACH


@pytest.mark.django_db
def test_incr_of_a_missing_or_expired_key_still_refuses_as_django_does():
    shared = caches["shared"]
    with pytest.raises(ValueError):
        shared.incr("never-set")
    shared.set("gone", 1, timeout=-1)
    with pytest.raises(ValueError):
        shared.incr("gone")
    shared.set("kept", 5, timeout=60)
    assert shared.incr("kept", 3) == 8
    assert shared.get("kept") == 8
