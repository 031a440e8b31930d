"""Run work on real threads, each with its own database connection."""

from __future__ import annotations

import threading

from django.db import connection, connections


def run_together(count, work):
    """Start `count` threads at once; return their results and exceptions."""
    barrier = threading.Barrier(count, timeout=10)
    results = [None] * count
    errors = []

    def target(index):
        try:
            # Connect first, so that the threads race on the queries rather
            # than on opening their connections.
            connection.ensure_connection()
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # reported to the test, never swallowed
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results, errors
