"""apis.services: creating APIs from documents, re-importing, products and restrictions."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from apis import services
from apis.documents import read
from apis.models import Api, ProductApi, Restriction
from portal import sight
from portal.entities import ConcurrentChangeError
from tests.conftest import openapi_text


@pytest.fixture
def reports():
    """What the sight funnel was told, while the test runs."""
    told = []

    def listen(sender, **kwargs):
        told.append(kwargs)

    sight.sight_changed.connect(listen)
    yield told
    sight.sight_changed.disconnect(listen)


def test_create_takes_name_description_and_version_from_the_document(db):
    api = services.create_api(
        document=read(openapi_text("Pickups")), name="pickups", path="pickups"
    )

    assert (api.display_name, api.description, api.api_version) == (
        "Pickups",
        "The Pickups API.",
        "1.0",
    )
    assert api.document["info"]["title"] == "Pickups"
    assert (api.document_version, api.document_format) == ("3.0.3", Api.Format.OPENAPI)
    assert api.operations.count() == 4


def test_create_refuses_a_duplicate_name_whatever_the_case(make_api):
    make_api("Shipments")

    with pytest.raises(ValidationError) as refused:
        services.create_api(name="other", display_name="SHIPMENTS", path="other")

    assert refused.value.message_dict["display_name_key"] == [
        "An API with this name already exists."
    ]


def test_replacing_the_document_reports_and_applies_the_difference(make_api, partners):
    api = make_api("Shipments")
    services.restrict(
        api=api, kind="operation", target="cancelShipment", groups=[partners], added_by=None
    )
    services.restrict(
        api=api, kind="operation", target="listShipments", groups=[partners], added_by=None
    )
    changed = json.loads(openapi_text())
    del changed["paths"]["/shipments/{id}"]["delete"]
    changed["paths"]["/labels"] = {
        "get": {"operationId": "listLabels", "responses": {"200": {"description": "OK"}}}
    }

    difference = services.replace_document(
        api=api, document=read(json.dumps(changed)), expected_version=api.version
    )

    assert [op.name for op in difference.added] == ["listLabels"]
    assert difference.removed == [("DELETE", "/shipments/{id}")]
    assert sorted(api.operations.values_list("name", flat=True)) == [
        "createShipment",
        "getShipment",
        "listLabels",
        "listShipments",
    ]
    # The restriction on the removed operation went with it; the other stays.
    assert list(Restriction.objects.values_list("target", flat=True)) == ["listShipments"]


def test_replacing_a_document_someone_else_changed_is_refused(make_api):
    api = make_api("Shipments")
    stale = api.version
    services.update_api(api=api, expected_version=stale, description="New")

    with pytest.raises(ConcurrentChangeError):
        services.replace_document(api=api, document=read(openapi_text()), expected_version=stale)


def test_preview_writes_nothing(make_api):
    api = make_api("Shipments")
    before = list(api.operations.values_list("pk", flat=True))

    difference = services.preview_document(
        api=api, document=read(openapi_text(operations=[("get", "/x", "x", [])]))
    )

    assert len(difference.removed) == 4
    assert list(api.operations.values_list("pk", flat=True)) == before


def test_adding_apis_twice_adds_once_and_reports_sight_once(make_api, product, reports):
    api = make_api("Shipments")

    assert services.add_apis(product=product, apis=[api, api], added_by=None) == 1
    assert services.add_apis(product=product, apis=[api], added_by=None) == 0

    assert ProductApi.objects.filter(product=product, api=api).count() == 1
    assert reports == [
        {
            "signal": sight.sight_changed,
            "owner_ids": None,
            "product_ids": [product.pk],
            "api_ids": None,
        }
    ]


def test_removing_an_api_reports_sight_only_when_it_was_there(make_api, product, reports):
    api = make_api("Shipments", products=[product])
    reports.clear()

    assert services.remove_api(product=product, api=api) is True
    assert services.remove_api(product=product, api=api) is False

    assert len(reports) == 1
    # The API left the product, so the report names it: its viewers changed.
    assert (reports[0]["product_ids"], reports[0]["api_ids"]) == ([product.pk], [api.pk])


def test_deleting_an_api_says_what_went_with_it(make_api, product):
    api = make_api("Shipments", products=[product])

    summary = services.delete_api(api=api)

    assert summary.message("API") == (
        "Deleted the API Shipments; its 4 operations went with it, and 1 product no longer "
        "contain it."
    )
    assert not Api.objects.exists()


def test_restricting_twice_keeps_one_rule_and_unrestrict_lifts_it(make_api, partners, beta):
    api = make_api("Shipments")

    assert (
        services.restrict(
            api=api, kind="tag", target="Admin", groups=[partners, beta], added_by=None
        )
        == 2
    )
    assert (
        services.restrict(api=api, kind="tag", target="Admin", groups=[partners], added_by=None)
        == 0
    )
    assert services.unrestrict(api=api, kind="tag", target="Admin", group=beta) == 1
    assert list(Restriction.objects.values_list("group__name", flat=True)) == ["partners"]
    assert services.unrestrict(api=api, kind="tag", target="Admin") == 1
