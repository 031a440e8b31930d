"""Helpers shared by the console's access-matrix and list tests."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

# Everyone the console must refuse, and how: sent to sign in, or 403.
REFUSED = [
    ("anonymous", "sign-in"),
    ("developer", 403),
    ("support_staff", 403),
    ("blocked_user", "sign-in"),
    ("pending_user", "sign-in"),
    ("group_member", 403),
]


def sign_in_as(client, request, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))


def assert_refused(response, url, outcome):
    if outcome == "sign-in":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('portal:login')}?next={url}"
    else:
        assert response.status_code == outcome


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)
