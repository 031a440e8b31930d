"""Plain helpers for the management API's tests: paths, bodies and Azure's error shape.

The fixtures (a token, a client that sends it) are in tests/management_api/conftest.py.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.conf import settings

from groups.models import Group

API_VERSION = "2024-05-01"
SERVICE = (
    f"/subscriptions/{settings.PORTICO_AZURE_SUBSCRIPTION_ID}"
    f"/resourceGroups/{settings.PORTICO_AZURE_RESOURCE_GROUP}"
    f"/providers/Microsoft.ApiManagement/service/{settings.PORTICO_AZURE_SERVICE_NAME}"
)
SYSTEM_GROUPS = [Group.ADMINISTRATORS, Group.DEVELOPERS, Group.GUESTS]


def url(path: str, base: str = SERVICE, **query: str) -> str:
    """The URL of an operation under the service, with the api-version."""
    return f"{base}/{path}?{urlencode({'api-version': API_VERSION, **query})}"


def body(**properties: object) -> str:
    """A request body in Azure's envelope."""
    return json.dumps({"properties": properties})


def names(response: Any) -> list[str]:
    """The names in a collection response, in order."""
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["value"]]


def assert_azure_error(response: Any, status: int, code: str | None = None) -> dict:
    """The response is an error in Azure's shape; returns its error object."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def call_api(client: Any, clear: str) -> Any:
    """List the groups with this token and no session."""
    client.logout()
    return client.get(url("groups"), HTTP_AUTHORIZATION=f"Bearer {clear}")
