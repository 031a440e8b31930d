"""scim2-tester, a maintained SCIM conformance checker, run against Portico's /scim/v2/.

It covers discovery, creating, reading, listing and deleting every resource type,
and unknown URLs. Its checks that PATCH every attribute of the schema one by one
expect each value back as sent, which Portico doesn't do by design (one email,
the formatted name made from the given and family names, a group always has a
directory reference), and Portico has no /.search: those are left out.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import scim2_tester.filling
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server

from tests.scim.conftest import BASE, portico

pytestmark = pytest.mark.django_db

random_value = scim2_tester.filling.generate_random_value


def email_user_names(context: Any, path: Any, *args: Any, **kwargs: Any) -> Any:
    """Portico's userName is an email address; the tester's random strings aren't."""
    if str(path).lower().endswith("username"):
        return f"{uuid.uuid4().hex}@example.com"
    return random_value(context, path, *args, **kwargs)


def test_scim2_tester_finds_nothing_wrong(scim_token, monkeypatch):
    monkeypatch.setattr(scim2_tester.filling, "generate_random_value", email_user_names)
    client = WSGISCIMClient(
        portico, base_url=BASE, headers={"Authorization": f"Bearer {scim_token}"}
    )
    results = check_server(
        client, include_tags={"discovery", "crud:create", "crud:read", "crud:delete", "misc"}
    )
    failed = [
        (result.title, result.reason)
        for result in results
        if result.status not in (Status.SUCCESS, Status.SKIPPED)
    ]
    assert failed == []
    assert sum(result.status == Status.SUCCESS for result in results) >= 30
