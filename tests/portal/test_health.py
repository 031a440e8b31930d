"""/health/: the database and the caches as JSON, 200 when all answer and 503 when one fails."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal import health, jobs
from portal.models import Job
from tests.conftest import free_port


def redis_caches(url: str) -> dict[str, Any]:
    redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    return {"default": {**redis, "KEY_PREFIX": "a"}, "shared": {**redis, "KEY_PREFIX": "b"}}


@pytest.mark.django_db
def test_health_reports_each_check_and_is_public(client):
    response = client.get(reverse("portal:health"))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True, "vendor": connections["default"].vendor}
    assert body["checks"]["cache"] == {"ok": True, "backend": "locmem", "shared": "database"}


@pytest.mark.django_db
def test_a_third_check_is_one_more_pair(client, monkeypatch):
    def broken() -> dict[str, Any]:
        raise TimeoutError("secret detail at redis://:hunter2@host")

    monkeypatch.setattr(health, "CHECKS", [*health.CHECKS, ("mailer", broken)])
    response = client.get(reverse("portal:health"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["mailer"] == {"ok": False, "error": "TimeoutError"}
    assert body["checks"]["database"]["ok"] is True
    assert b"hunter2" not in response.content


@pytest.fixture
def database_gone(transactional_db: None) -> Any:
    """The default database's connection points somewhere no database is, then back."""
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-directory/portico.sqlite3"
    else:
        connection.settings_dict["HOST"] = "127.0.0.1"
        connection.settings_dict["PORT"] = str(free_port())
        connection.settings_dict["OPTIONS"] = {**saved["OPTIONS"], "connect_timeout": 2}
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


def test_health_is_503_when_the_database_is_unreachable(client, database_gone):
    response = client.get(reverse("portal:health"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}


@pytest.mark.django_db
def test_health_is_503_when_redis_is_unreachable_and_shows_no_password(client, settings):
    closed = free_port()
    settings.CACHES = redis_caches(f"redis://:hunter2@127.0.0.1:{closed}/0")
    response = client.get(reverse("portal:health"))
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"]["ok"] is True
    cache = body["checks"]["cache"]
    assert cache["ok"] is False
    assert cache["backend"] == "redis"
    assert cache["failed"] == "default"
    assert cache["error"] == "ConnectionError"
    assert b"hunter2" not in response.content
    assert str(closed).encode() not in response.content


@pytest.mark.django_db
def test_health_with_a_real_redis(client, settings, redis_url):
    settings.CACHES = redis_caches(redis_url)
    response = client.get(reverse("portal:health"))
    assert response.status_code == 200
    assert response.json()["checks"]["cache"] == {"ok": True, "backend": "redis", "shared": "redis"}


@pytest.mark.django_db
def test_the_gateway_listener_serves_health_too(settings):
    settings.ROOT_URLCONF = "portal.gateway_urls"
    response = Client().get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_the_queue_check_counts_workers_and_the_oldest_waiting_job(client):
    body = client.get(reverse("portal:health")).json()
    assert body["checks"]["queue"] == {
        "ok": True,
        "backend": "database",
        "workers": 0,
        "oldest_waiting_seconds": 0,
        "warning": "no worker seen lately: background jobs wait",
    }
    # A job waiting five minutes, and a worker alive: still ok, and it says so.
    Job.objects.create(
        kind="portal.email", title="Email", created_at=timezone.now() - timedelta(minutes=5)
    )
    jobs.beat("worker-1")
    response = client.get(reverse("portal:health"))
    assert response.status_code == 200
    queue = response.json()["checks"]["queue"]
    assert queue["workers"] == 1 and "warning" not in queue
    assert 299 <= queue["oldest_waiting_seconds"] <= 330


@pytest.mark.django_db
def test_the_queue_check_fails_when_its_redis_is_unreachable(client, settings):
    settings.PORTICO_TASK_QUEUE = "redis"
    settings.REDIS_URL = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    response = client.get(reverse("portal:health"))
    assert response.status_code == 503
    assert response.json()["checks"]["queue"] == {
        "ok": False,
        "error": "ConnectionError",
        "backend": "redis",
    }
    assert b"hunter2" not in response.content


@pytest.mark.django_db
def test_the_queue_check_with_a_real_redis(client, settings, redis_url):
    settings.PORTICO_TASK_QUEUE = "redis"
    settings.REDIS_URL = redis_url
    settings.CACHES = redis_caches(redis_url)
    queue = client.get(reverse("portal:health")).json()["checks"]["queue"]
    assert queue["ok"] is True and queue["backend"] == "redis"
