from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.db import close_old_connections
from django.test import Client
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_models import Group, ScimProvider, User

from scim import services

BASE = "http://localhost/scim/v2"


def portico(environ: dict[str, Any], start_response: Any) -> Any:
    """Portico's WSGI application, keeping the test's database connection open.

    Django's own test client does the same: the end of a request would
    otherwise close the connection that holds the test's transaction.
    """
    request_started.disconnect(close_old_connections)
    try:
        # The body is read here and the response never closed: closing it
        # would signal the end of the request, and that closes connections.
        return list(WSGIHandler()(environ, start_response))
    finally:
        request_started.connect(close_old_connections)


@pytest.fixture
def scim_token(administrator: Any) -> str:
    _, clear = services.issue_token(created_by=administrator, name="Entra ID", days=30)
    return clear


@pytest.fixture
def scim(scim_token: str) -> WSGISCIMClient:
    """scim2-client, the maintained SCIM client, speaking HTTP to Portico's WSGI application."""
    return WSGISCIMClient(
        portico,
        base_url=BASE,
        headers={"Authorization": f"Bearer {scim_token}"},
        provider=ScimProvider(models=[User, Group]),
    )


class Scim:
    """Plain requests to /scim/v2/ with the token, for what a client library won't send."""

    def __init__(self, client: Client, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/scim/v2/{path}", params, headers=self.headers)

    def send(self, method: str, path: str, body: Any) -> Any:
        return self.client.generic(
            method,
            f"/scim/v2/{path}",
            data=body if isinstance(body, str | bytes) else json.dumps(body),
            content_type="application/scim+json",
            headers=self.headers,
        )


@pytest.fixture
def raw(client: Client, scim_token: str) -> Scim:
    return Scim(client, scim_token)
