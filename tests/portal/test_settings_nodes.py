"""Settings for several nodes: REDIS_URL chooses the caches and the sessions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured

from portal.settings import caches_config
from portal.settings import redis_url as checked_redis_url

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import json, portal.settings as s; "
    "print(json.dumps({'caches': s.CACHES, 'sessions': s.SESSION_ENGINE}))"
)


def settings_under(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The settings module, imported afresh in a process with this environment."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "PORTICO_REDIS"))
    }
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_redis_the_cache_is_local_the_counters_and_sessions_in_the_database():
    shown = settings_under({})
    assert shown.returncode == 0, shown.stderr
    chosen = json.loads(shown.stdout)
    assert chosen["caches"]["default"]["BACKEND"].endswith("locmem.LocMemCache")
    assert chosen["caches"]["shared"]["BACKEND"] == "portal.cache.CountingDatabaseCache"
    assert chosen["caches"]["shared"]["LOCATION"] == "portico_shared_cache"
    assert chosen["sessions"] == "django.contrib.sessions.backends.db"


def test_with_redis_url_both_caches_are_redis_and_sessions_read_through_it():
    shown = settings_under({"REDIS_URL": "redis://:pw@redis.internal:6380/2"})
    assert shown.returncode == 0, shown.stderr
    chosen = json.loads(shown.stdout)
    for alias in ("default", "shared"):
        cache = chosen["caches"][alias]
        assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
        assert cache["LOCATION"] == "redis://:pw@redis.internal:6380/2"
        assert cache["OPTIONS"]["socket_timeout"] == 2
    # Each its own keys, so clearing one cache leaves the other.
    assert chosen["caches"]["default"]["KEY_PREFIX"] != chosen["caches"]["shared"]["KEY_PREFIX"]
    assert chosen["sessions"] == "django.contrib.sessions.backends.cached_db"


def test_a_redis_url_of_another_scheme_stops_the_process_without_showing_the_password():
    shown = settings_under({"REDIS_URL": "http://:hunter2@redis.internal:6379/0"})
    assert shown.returncode != 0
    assert "REDIS_URL must look like redis://" in shown.stderr
    assert "hunter2" not in shown.stderr


@pytest.mark.parametrize(
    "url",
    ["redis://127.0.0.1:6379/0", "rediss://:pw@cache.example.com:6380/1", "unix:///run/r.sock"],
)
def test_redis_url_accepts_redis_rediss_and_unix(url):
    assert checked_redis_url(url) == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("localhost:6379", "must look like"),
        ("memcached://127.0.0.1:11211", "must look like"),
        ("redis:///0", "names no Redis host"),
        ("redis://127.0.0.1:notaport/0", "malformed port"),
        ("unix://", "names no socket path"),
    ],
)
def test_redis_url_refuses_what_redis_cannot_use(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        checked_redis_url(url)


def test_redis_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("PORTICO_REDIS_TIMEOUT", "5")
    config = caches_config("redis://127.0.0.1:6379/0")
    assert config["shared"]["OPTIONS"] == {"socket_connect_timeout": 5, "socket_timeout": 5}


@pytest.mark.django_db
def test_with_redis_a_session_is_in_redis_and_the_database_so_any_node_reads_it(
    client, settings, developer, redis_url
):
    url = redis_url.rsplit("/", 1)[0] + "/12"
    settings.CACHES = caches_config(url)
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    client.force_login(developer)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    # Another node's cache client, with nothing of this process's in it, finds it.
    other_node = RedisCache(url, {"KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"]})
    try:
        assert other_node.get(f"django.contrib.sessions.cached_db{key}") is not None
    finally:
        other_node.clear()
