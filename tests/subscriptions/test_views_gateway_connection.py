"""The key check's database connection on its own listener: a prepared lookup,
no health check before each request, and recovery from a connection the
database dropped."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client

from portal import health
from portal.settings import database_config, gateway_database_config
from subscriptions.views import gateway

URL = "/gateway/check"


def check(key: str, product: str) -> int:
    response = Client().get(URL, headers={"Ocp-Apim-Subscription-Key": key, "X-Product": product})
    return response.status_code


@pytest.fixture
def gateway_connection(transactional_db: None) -> Any:
    """The default connection configured as the gateway listener's, kept across requests."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(gateway_database_config(saved))
    # The tests' own setting closes connections after each request; the
    # listener keeps them, which is where a dropped one can surprise it.
    connection.settings_dict["CONN_MAX_AGE"] = 600
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


def end_backend(pid: int) -> bool:
    """End a backend from another session, as a restart or a failover would."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        return other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_gateway_database_config_prepares_and_skips_the_health_check():
    config = gateway_database_config(database_config("postgres://portico@db.example.com/portico"))
    assert config["CONN_HEALTH_CHECKS"] is False
    assert config["OPTIONS"]["prepare_threshold"] == 0
    assert config["CONN_MAX_AGE"] == 600


def test_gateway_database_config_leaves_sqlite_alone(tmp_path):
    config = database_config(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert gateway_database_config(config) == config


def test_the_portal_listener_keeps_its_health_check():
    config = database_config("postgres://portico@db.example.com/portico")
    assert config["CONN_HEALTH_CHECKS"] is True
    assert "prepare_threshold" not in config.get("OPTIONS", {})


def test_gateway_check_prepares_its_lookup(gateway_connection, subscription):
    key, product = subscription.primary_secret, subscription.product.name
    assert check(key, product) == 204
    assert check("0" * 48, product) == 401
    assert check(key, product) == 204
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            prepared = [row[0] for row in cursor.fetchall()]
        # The one lookup, prepared once and reused: PostgreSQL no longer
        # plans it on every call.
        assert len(prepared) == 1
        assert "primary_secret" in prepared[0]
    else:
        assert connection.vendor == "sqlite"
        assert connection.settings_dict["OPTIONS"].get("prepare_threshold") is None


def test_gateway_check_runs_one_query_and_no_health_check(
    gateway_connection, subscription, django_assert_num_queries
):
    assert check(subscription.primary_secret, subscription.product.name) == 204
    # The lookup alone: no SELECT 1 before it.
    with django_assert_num_queries(1):
        assert check(subscription.primary_secret, subscription.product.name) == 204


def test_gateway_check_recovers_from_a_dropped_connection(gateway_connection, subscription):
    key, product = subscription.primary_secret, subscription.product.name
    assert check(key, product) == 204
    if connection.vendor == "postgresql":
        before = backend_pid()
        # The worker keeps its now dead connection.
        assert end_backend(before)
        assert connection.connection is not None
        # The first query on the dead connection fails; the check reconnects
        # and answers, rather than a 500 for this call.
        assert check(key, product) == 204
        assert backend_pid() != before
        assert check("0" * 48, product) == 401
    else:
        # SQLite has no server to drop the connection: a closed one reopens.
        connection.close()
        assert check(key, product) == 204


def test_a_query_failing_on_a_live_connection_is_not_asked_again(
    gateway_connection, subscription, monkeypatch
):
    """A timeout or a lock is not a dropped connection: asking again would double the load."""
    assert check(subscription.primary_secret, subscription.product.name) == 204
    calls = []

    def timed_out(sql: str, params: list[str]) -> None:
        calls.append(sql)
        raise OperationalError("canceling statement due to statement timeout")

    monkeypatch.setattr(gateway, "_fetch_one", timed_out)
    with pytest.raises(OperationalError):
        gateway._lookup(gateway.LOOKUP_SQL, ["k", "k"])
    assert len(calls) == 1


def test_prepared_statements_can_be_turned_off_for_a_pooler(monkeypatch):
    monkeypatch.setenv("PORTICO_GATEWAY_PREPARE", "false")
    config = gateway_database_config(database_config("postgres://portico@db.example.com/portico"))
    assert "prepare_threshold" not in config["OPTIONS"]
    assert config["CONN_HEALTH_CHECKS"] is False


def test_the_health_check_recovers_from_a_dropped_connection(gateway_connection):
    assert health.database() == {"vendor": connection.vendor}
    if connection.vendor == "postgresql":
        before = backend_pid()
        assert end_backend(before)
        assert health.database() == {"vendor": "postgresql"}
        assert backend_pid() != before
    else:
        connection.close()
        assert health.database() == {"vendor": "sqlite"}
