"""The console's APIs tab: re-importing a document, through a preview to confirm."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from apis import services
from apis.models import Api, Restriction
from tests.conftest import messages_of, openapi_text


def text_of(response):
    return " ".join(html.unescape(response.content.decode()).split())


CHANGED = [
    ("get", "/shipments", "listShipments", ["Shipments"]),
    ("post", "/shipments", "createShipment", ["Shipments", "Writes"]),
    ("get", "/shipments/{id}", "getShipment", ["Shipments"]),
    ("get", "/shipments/{id}/track", "trackShipment", ["Tracking"]),
]


@pytest.fixture
def api(make_api):
    return make_api("Shipments")


def preview(client, api, text):
    return client.post(reverse("apis:reimport", args=[api.name]), {"document_text": text})


def confirm_data(response):
    """The preview's Confirm form, as the browser sends it back."""
    body = response.content.decode()
    version = re.search(r'name="version" value="(\d+)"', body)[1]
    text = re.search(r'<textarea name="document_text"[^>]*>\n(.*?)</textarea>', body, re.S)[1]
    return {"version": version, "document_text": html.unescape(text)}


def confirm(client, api, data):
    return client.post(reverse("apis:reimport_confirm", args=[api.name]), data, follow=True)


def operations(api):
    return list(api.operations.values_list("method", "url_template"))


def test_reimport_previews_the_difference_then_replaces_on_confirm(client, administrator, api):
    client.force_login(administrator)
    before = operations(api)
    response = preview(client, api, openapi_text("Shipments", CHANGED))
    assert response.status_code == 200
    changes = response.context["changes"]
    assert [op.name for op in changes.added] == ["trackShipment"]
    assert [op.name for op in changes.changed] == ["createShipment"]
    assert changes.removed == [("DELETE", "/shipments/{id}")]
    assert changes.unchanged == 2
    page = text_of(response)
    for badge in ["1 added", "1 changed", "1 removed", "2 unchanged"]:
        assert f">{badge}</span>" in page
    assert operations(api) == before
    response = confirm(client, api, confirm_data(response))
    assert response.redirect_chain == [(api.get_absolute_url(), 302)]
    assert messages_of(response) == [
        "Re-imported Shipments: 1 operation added, 1 changed, 1 removed."
    ]
    assert ("GET", "/shipments/{id}/track") in operations(api)
    assert ("DELETE", "/shipments/{id}") not in operations(api)


def test_reimport_of_the_same_operations_says_nothing_changes(client, administrator, api):
    client.force_login(administrator)
    response = preview(client, api, openapi_text("Shipments"))
    assert "No change to the operations: all 4 are the same." in text_of(response)
    response = confirm(client, api, confirm_data(response))
    assert messages_of(response) == ["Re-imported Shipments: its operations are unchanged."]


def test_reimport_from_an_uploaded_file(client, administrator, api):
    client.force_login(administrator)
    upload = SimpleUploadedFile("new.json", openapi_text("Shipments", CHANGED).encode())
    response = client.post(
        reverse("apis:reimport", args=[api.name]), {"document_file": upload, "document_text": ""}
    )
    assert response.status_code == 200
    assert len(response.context["changes"].added) == 1
    confirm(client, api, confirm_data(response))
    assert len(operations(api)) == 4


def test_reimport_shows_an_invalid_document_s_problems_with_the_text_kept(
    client, administrator, api
):
    client.force_login(administrator)
    text = "swagger: '2.0'\ninfo: {title: X, version: '1'}\npaths:\n  /a: {get: {}}\n"
    response = preview(client, api, text)
    errors = response.context["form"].errors["document_text"]
    assert errors and all(error.startswith("Line ") for error in errors)
    assert escape("info: {title: X, version: '1'}") in response.content.decode()
    assert len(operations(api)) == 4


def test_reimport_refuses_an_external_ref(client, administrator, api):
    client.force_login(administrator)
    content = json.loads(openapi_text())
    content["paths"]["/shipments"]["get"]["parameters"] = [{"$ref": "other.yaml#/X"}]
    text = json.dumps(content, indent=2)
    response = preview(client, api, text)
    assert "points outside the document" in response.context["form"].errors["document_text"][0]


def test_a_replayed_confirm_shows_a_fresh_preview_and_replaces_nothing(client, administrator, api):
    client.force_login(administrator)
    data = confirm_data(preview(client, api, openapi_text("Shipments", CHANGED)))
    confirm(client, api, data)
    replaced = Api.objects.get(pk=api.pk)
    response = confirm(client, api, data)
    assert response.redirect_chain == []
    assert "The API changed since this preview was made" in text_of(response)
    # Against the API as it is now, the same document changes nothing.
    assert response.context["changes"].is_empty
    assert Api.objects.get(pk=api.pk).version == replaced.version


def test_a_concurrent_change_shows_a_fresh_preview_and_keeps_the_other_change(
    client, administrator, api
):
    client.force_login(administrator)
    data = confirm_data(preview(client, api, openapi_text("Shipments", CHANGED)))
    services.update_api(api=api, expected_version=None, description="Theirs")
    response = confirm(client, api, data)
    assert "nothing was replaced" in text_of(response)
    assert len(response.context["changes"].added) == 1
    api.refresh_from_db()
    assert api.description == "Theirs"
    assert ("DELETE", "/shipments/{id}") in operations(api)
    # Confirmed again from the fresh preview, it goes through.
    confirm(client, api, confirm_data(response))
    assert ("DELETE", "/shipments/{id}") not in operations(api)
    api.refresh_from_db()
    assert api.description == "Theirs"


@pytest.mark.parametrize(
    "data",
    [
        {"document_text": "openapi: 3.0.3\n", "version": "1"},
        {"document_text": openapi_text(), "version": ""},
        {"document_text": openapi_text(), "version": "abc"},
        {"document_text": openapi_text(), "version": "99999999999999999999"},
        {"version": "1"},
    ],
)
def test_a_forged_confirm_is_checked_again_and_changes_nothing(client, administrator, api, data):
    client.force_login(administrator)
    before = Api.objects.get(pk=api.pk)
    response = client.post(reverse("apis:reimport_confirm", args=[api.name]), data)
    assert response.status_code == 400
    after = Api.objects.get(pk=api.pk)
    assert (after.version, after.document) == (before.version, before.document)


def test_reimport_drops_restrictions_on_removed_operations(client, administrator, api, partners):
    services.restrict(
        api=api, kind="operation", target="cancelShipment", groups=[partners], added_by=None
    )
    client.force_login(administrator)
    response = preview(client, api, openapi_text("Shipments", CHANGED))
    assert "Restrictions on it are dropped" in text_of(response)
    assert Restriction.objects.exists()
    confirm(client, api, confirm_data(response))
    assert not Restriction.objects.exists()


def test_reimport_confirm_answers_only_post(client, administrator, api):
    client.force_login(administrator)
    assert client.get(reverse("apis:reimport_confirm", args=[api.name])).status_code == 405
