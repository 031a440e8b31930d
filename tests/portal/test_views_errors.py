"""portal.views.errors: a database outage answers 503 with Retry-After, in each caller's shape;
anything else that fails stays a 500."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import ProgrammingError, connections
from django.test import Client
from django.urls import reverse

from groups.models import Group
from management_api.services import issue_token
from subscriptions.models import Subscription

pytestmark = pytest.mark.django_db(transaction=True)

SERVICE = (
    f"/subscriptions/{settings.PORTICO_AZURE_SUBSCRIPTION_ID}"
    f"/resourceGroups/{settings.PORTICO_AZURE_RESOURCE_GROUP}"
    f"/providers/Microsoft.ApiManagement/service/{settings.PORTICO_AZURE_SERVICE_NAME}"
)

# PostgreSQL refuses a write in a read-only transaction with SQLSTATE 25006
# (InternalError), as a standby does during a failover: an outage too.
WRITE_FAULTS = [
    pytest.param("refused", id="operational-error"),
    pytest.param("read-only", id="read-only-database"),
]


@pytest.fixture
def writes_fail(database_fails, writes_refused):
    """Make writes fail: Django's OperationalError, or the database itself read-only."""

    def start(fault: str) -> None:
        if fault == "read-only":
            writes_refused(True)
        else:
            database_fails("writes")

    return start


def outage_client() -> Client:
    """A client that gets the answer a person would, not the exception."""
    return Client(raise_request_exception=False)


def assert_retry_later(response) -> None:
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize("fault", WRITE_FAULTS)
def test_api_write_during_an_outage_is_503_in_azures_shape(administrator, writes_fail, fault):
    _, token = issue_token(user=administrator, name="tests", days=1)
    client = outage_client()
    writes_fail(fault)
    response = client.put(
        f"{SERVICE}/groups/partners?{urlencode({'api-version': '2024-05-01'})}",
        json.dumps({"properties": {"displayName": "Partners"}}),
        "application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert_retry_later(response)
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "ServiceUnavailable"
    assert error["message"]
    assert not Group.objects.filter(name="partners").exists()


@pytest.mark.parametrize("fault", WRITE_FAULTS)
def test_console_write_during_an_outage_is_the_503_page(administrator, writes_fail, fault):
    client = outage_client()
    client.force_login(administrator)
    writes_fail(fault)
    response = client.post(
        reverse("groups:create"),
        {"display_name": "Partners", "name": "partners", "description": ""},
    )
    assert_retry_later(response)
    assert response["Content-Type"].startswith("text/html")
    assert "Portico is briefly unavailable" in response.content.decode()
    assert not Group.objects.filter(name="partners").exists()


@pytest.mark.parametrize("fault", WRITE_FAULTS)
def test_portal_write_during_an_outage_is_the_503_page(member, product, writes_fail, fault):
    client = outage_client()
    client.force_login(member)
    writes_fail(fault)
    response = client.post(
        reverse("portal:subscribe", args=[product.name]), {"display_name": "My app"}
    )
    assert_retry_later(response)
    assert "Portico is briefly unavailable" in response.content.decode()
    assert not Subscription.objects.filter(owner=member).exists()


def key_check_headers(subscription: Subscription) -> dict[str, str]:
    return {
        "Ocp-Apim-Subscription-Key": subscription.primary_secret,
        "X-Product": Subscription.objects.get(pk=subscription.pk).product.name,
    }


def test_key_check_while_the_database_is_unreachable_is_503_with_no_body(
    subscription, database_fails
):
    headers = key_check_headers(subscription)
    database_fails("all")
    response = outage_client().get(reverse("gateway_check"), headers=headers)
    assert_retry_later(response)
    assert response.content == b""


@pytest.mark.parametrize("fault", ["refused", "read-only"])
def test_key_check_reads_on_while_writes_fail(subscription, writes_fail, fault):
    headers = key_check_headers(subscription)
    writes_fail(fault)
    response = outage_client().get(reverse("gateway_check"), headers=headers)
    assert response.status_code == 204


def test_a_failure_that_is_no_outage_stays_a_500(administrator):
    """A wrong query is a bug: trying again won't help, so no 503 and no Retry-After."""
    _, token = issue_token(user=administrator, name="tests", days=1)

    def wrong_query(execute, sql, params, many, context):
        if "groups_group" in sql:
            raise ProgrammingError('column "nope" does not exist')
        return execute(sql, params, many, context)

    with connections["default"].execute_wrapper(wrong_query):
        response = outage_client().get(
            f"{SERVICE}/groups/partners?{urlencode({'api-version': '2024-05-01'})}",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert response.json()["error"]["code"] == "InternalServerError"
