"""Counting who can sign in, and the administrators, reads an index, not the user table."""

from __future__ import annotations

import pytest
from django.db import connection

from portal.models import User


def plan_of(queryset):
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A test database is tiny: a sequential scan would always win.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({sql}) counted", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM ({sql}) counted", params)
        return " ".join(str(row) for row in cursor.fetchall())


@pytest.mark.parametrize("people", ["active", "administrators"])
def test_counting_people_uses_the_state_index(db, people):
    queryset = getattr(User.objects, people)()
    plan = plan_of(queryset)
    assert "portal_user_state_superuser" in plan, plan
