from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from django.db import connections

from portal.models import User

TEST_PASSWORD = "correct-horse-battery-staple"

# Production keeps database connections open (CONN_MAX_AGE). In tests, the
# live server's request threads would then hold connections to the test
# database, and PostgreSQL refuses to drop a database that is in use.
for database in connections.settings.values():
    database["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The manifest storage needs `collectstatic` first; tests serve the files
    # straight from static/.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(**overrides: Any) -> User:
        fields = {
            "email": f"{uuid4().hex[:10]}@example.com",
            "first_name": "Test",
            "last_name": "Person",
        } | overrides
        password = fields.pop("password", TEST_PASSWORD)
        return User.objects.create_user(password=password, **fields)

    return make


@pytest.fixture
def administrator(db: None) -> User:
    return User.objects.create_superuser(
        "root@example.com", TEST_PASSWORD, first_name="Ada", last_name="Admin"
    )


@pytest.fixture
def developer(make_user: Callable[..., User]) -> User:
    return make_user(email="dev@example.com", first_name="Dev", last_name="Eloper")


@pytest.fixture
def support_staff(make_user: Callable[..., User]) -> User:
    return make_user(email="staff@example.com", is_staff=True)


@pytest.fixture
def blocked_user(make_user: Callable[..., User]) -> User:
    return make_user(email="blocked@example.com", state=User.State.BLOCKED)


@pytest.fixture
def pending_user(make_user: Callable[..., User]) -> User:
    return make_user(email="pending@example.com", state=User.State.PENDING)


@pytest.fixture(scope="session", autouse=True)
def _end_stray_connections(django_db_setup: None, django_db_blocker: Any) -> Any:
    """Before the test database is dropped, end connections other threads left open.

    A live-server request thread whose client went away (a browser closing
    mid-request) never sends request_finished, so its connection stays
    open, and PostgreSQL won't drop a database that is in use.
    """
    yield
    with django_db_blocker.unblock():
        for connection in connections.all():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
