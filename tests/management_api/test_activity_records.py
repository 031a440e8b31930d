"""The management API's activityRecords: the activity record, read-only, in Azure's list
shape, paged with $top and $skip, filtered with $filter."""

from __future__ import annotations

import pytest
from django.conf import settings

from audit import context, services
from audit.models import Record
from audit.services import Ref
from subscriptions import services as subscription_services
from tests.management_api.helpers import assert_azure_error, url

pytestmark = pytest.mark.django_db

GROUP = Ref("group", "7", "Partners")
PERSON = Ref("user", "3", "dev@example.com")


def service_id() -> str:
    return (
        f"/subscriptions/{settings.PORTICO_AZURE_SUBSCRIPTION_ID}"
        f"/resourceGroups/{settings.PORTICO_AZURE_RESOURCE_GROUP}"
        f"/providers/Microsoft.ApiManagement/service/{settings.PORTICO_AZURE_SERVICE_NAME}"
    )


@pytest.fixture
def recorded(administrator):
    """A group's update by an administrator in the console, and what followed from it."""
    actor = context.person(administrator, via="console", address="203.0.113.9")
    with context.acting(actor):
        change = services.record(
            "group.update", GROUP, before={"description": "old"}, after={"description": "new"}
        )
        with context.caused_by(change.pk):
            effect = services.record("member.remove", GROUP, related=PERSON)
    return change, effect


def test_a_record_in_azures_envelope(api, administrator, recorded):
    change, effect = recorded
    response = api.get(f"activityRecords/{effect.pk}")
    assert response.status_code == 200
    assert response.json() == {
        "id": f"{service_id()}/activityRecords/{effect.pk}",
        "type": "Microsoft.ApiManagement/service/activityRecords",
        "name": str(effect.pk),
        "properties": {
            "timestamp": effect.at.isoformat().replace("+00:00", "Z"),
            "action": "member.remove",
            "actor": {
                "kind": "person",
                "id": str(administrator.pk),
                "name": administrator.email,
                "onBehalfOf": "",
                "via": "console",
                "address": "203.0.113.9",
            },
            "object": {"kind": "group", "id": "7", "name": "Partners"},
            "related": {"kind": "user", "id": "3", "name": "dev@example.com"},
            "before": None,
            "after": None,
            "causeId": str(change.pk),
        },
    }
    first = api.get(f"activityRecords/{change.pk}").json()["properties"]
    assert (first["related"], first["causeId"], first["before"], first["after"]) == (
        None,
        None,
        {"description": "old"},
        {"description": "new"},
    )


def test_the_list_is_every_record_oldest_first(api, recorded):
    response = api.get("activityRecords")
    assert response.status_code == 200
    data = response.json()
    everything = list(Record.objects.order_by("id").values_list("pk", flat=True))
    assert [item["name"] for item in data["value"]] == [str(pk) for pk in everything]
    assert (data["count"], data["nextLink"]) == (len(everything), None)
    assert [r.pk for r in recorded] == everything[-2:]


def test_the_list_pages_with_top_and_skip(api, client, bearer):
    made = [services.record("group.update", Ref("group", str(n), f"G{n}")).pk for n in range(5)]
    query = {"$filter": "objectKind eq 'group'", "$top": "2"}
    first = api.get("activityRecords", **query).json()
    assert [item["name"] for item in first["value"]] == [str(pk) for pk in made[:2]]
    assert first["count"] == 5
    assert "%24skip=2" in first["nextLink"]
    second = client.get(first["nextLink"], **bearer).json()
    assert [item["name"] for item in second["value"]] == [str(pk) for pk in made[2:4]]
    last = api.get("activityRecords", **{**query, "$skip": "4"}).json()
    assert ([item["name"] for item in last["value"]], last["nextLink"]) == ([str(made[4])], None)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("action eq 'member.remove'", ["member.remove"]),
        ("objectKind eq 'group' and objectId eq '7'", ["group.update", "member.remove"]),
        ("startswith(action, 'group.')", ["group.update"]),
        ("relatedKind eq 'user' and relatedId eq '3'", ["member.remove"]),
        ("objectId eq '8'", []),
    ],
)
def test_the_list_filters(api, recorded, expression, expected):
    response = api.get("activityRecords", **{"$filter": expression})
    assert [item["properties"]["action"] for item in response.json()["value"]] == expected
    assert response.json()["count"] == len(expected)


def test_an_unknown_filter_field_is_refused(api, recorded):
    response = api.get("activityRecords", **{"$filter": "before eq 'x'"})
    error = assert_azure_error(response, 400, "ValidationError")
    assert "action" in error["message"]


def test_a_subscriptions_records_through_the_api(api, subscription):
    """The records a write through the API left, found by the object."""
    subscription_services.rename_subscription(subscription=subscription, display_name="Shop")
    found = api.get(
        "activityRecords",
        **{"$filter": f"objectKind eq 'subscription' and objectId eq '{subscription.pk}'"},
    ).json()["value"]
    assert [item["properties"]["action"] for item in found] == [
        "subscription.create",
        "subscription.update",
    ]


@pytest.mark.parametrize("record_id", ["999999", "abc", "1.5", "99999999999999999999999"])
def test_a_missing_record_is_404(api, record_id):
    assert_azure_error(api.get(f"activityRecords/{record_id}"), 404, "ResourceNotFound")


@pytest.mark.parametrize("method", ["put", "patch", "delete", "post", "head"])
def test_nothing_but_get_is_allowed(client, bearer, recorded, method):
    before = list(Record.objects.order_by("id").values_list("pk", "action", "object_label"))
    for path in ("activityRecords", f"activityRecords/{recorded[0].pk}"):
        response = getattr(client, method)(url(path), **bearer)
        assert response.status_code == 405
        if method != "head":
            assert_azure_error(response, 405, "MethodNotAllowed")
    after = list(
        Record.objects.order_by("id").values_list("pk", "action", "object_label")[: len(before)]
    )
    assert after == before


def test_a_developers_token_is_refused(client, bearer_for, developer, recorded):
    headers = bearer_for(developer)
    for path in ("activityRecords", f"activityRecords/{recorded[0].pk}"):
        assert_azure_error(client.get(url(path), **headers), 403, "AuthorizationFailed")


def test_no_token_is_refused(client, recorded):
    assert_azure_error(client.get(url("activityRecords")), 401, "AuthenticationFailed")
