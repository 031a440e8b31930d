"""The console's APIs tab: the list, and + Add API (importing a document)."""

from __future__ import annotations

import html
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apis import documents
from apis.models import Api, Operation, ProductApi
from tests.conftest import messages_of, openapi_text, table_row


def text_of(response):
    return " ".join(html.unescape(response.content.decode()).split())


def import_data(**overrides):
    """The + Add API form as a browser posts it; None leaves a field out."""
    data = {
        "document_text": openapi_text("Shipments"),
        "display_name": "",
        "name": "",
        "path": "shipments",
        "service_url": "",
        "protocols": ["https"],
    } | overrides
    return {key: value for key, value in data.items() if value is not None}


def post_import(client, **overrides):
    return client.post(reverse("apis:create"), import_data(**overrides))


def field_errors(response, field):
    return [str(error) for error in response.context["form"].errors.get(field, [])]


# The list


def test_api_list_shows_each_api_with_its_counts(client, administrator, make_api, product):
    make_api("Shipments", products=[product], api_version="v1")
    make_api("Tracking", text=openapi_text("Tracking", [("get", "/t", "track", [])]))
    client.force_login(administrator)
    response = client.get(reverse("apis:list"))
    rows = [(api.name, api.operation_count, api.product_count) for api in response.context["page"]]
    assert rows == [("shipments", 4, 1), ("tracking", 1, 0)]
    body = response.content.decode()
    row = table_row(body, ">shipments</div>")
    assert "/shipments</td>" in row
    assert "<td>v1</td>" in row
    assert "+ Add API" in body
    assert 'aria-current="page" href="/console/apis/"' in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SHIP", ["shipments"]),
        ("tracking", ["tracking"]),
        ("The Tracking API", ["tracking"]),
        ("nothing like it", []),
        ("<script>", []),
        ("é" * 300, []),
    ],
)
def test_api_list_searches_name_id_and_description(
    client, administrator, make_api, query, expected
):
    make_api("Shipments")
    make_api("Tracking", description="The Tracking API.")
    client.force_login(administrator)
    response = client.get(reverse("apis:list"), {"q": query})
    assert response.status_code == 200
    assert [api.name for api in response.context["page"]] == expected


def test_api_list_without_apis_says_to_import_one(client, administrator):
    client.force_login(administrator)
    page = text_of(client.get(reverse("apis:list")))
    assert "Import an OpenAPI document to create your first API" in page


def test_api_list_pages(client, administrator, make_api, settings):
    settings.PORTICO_PAGE_SIZE = 2
    for name in ["Alpha", "Beta", "Gamma"]:
        make_api(name)
    client.force_login(administrator)
    second = client.get(reverse("apis:list"), {"page": 2})
    assert [api.name for api in second.context["page"]] == ["gamma"]


def test_api_list_queries_do_not_grow_with_rows(
    client, administrator, product, assert_queries_do_not_grow
):
    client.force_login(administrator)

    def add_apis(numbers):
        apis = Api.objects.bulk_create(
            Api(
                name=f"api-{n:03}",
                display_name=f"API {n:03}",
                display_name_key=f"api {n:03}",
                path=f"api-{n:03}",
            )
            for n in numbers
        )
        Operation.objects.bulk_create(
            Operation(api=api, name="op", method="GET", url_template="/", display_name="Op")
            for api in apis
        )
        ProductApi.objects.bulk_create(ProductApi(product=product, api=api) for api in apis)

    # 1. the session
    # 2. the signed-in user
    # 3. the paginator's COUNT of the APIs (capped)
    # 4. the ids of one page of APIs
    # 5. those APIs, with both counts as correlated subqueries
    # 6. the menu's badge of waiting approvals, read from the shared cache
    assert_queries_do_not_grow(reverse("apis:list"), add_apis, 6)


# + Add API


def test_api_import_from_pasted_text_takes_the_title_and_proposes_the_id(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("apis:create"), import_data(), follow=True)
    api = Api.objects.get()
    assert response.redirect_chain == [(api.get_absolute_url(), 302)]
    assert (api.name, api.display_name, api.path, api.protocols) == (
        "shipments",
        "Shipments",
        "shipments",
        "https",
    )
    assert api.description == "The Shipments API."
    assert api.operations.count() == 4
    assert messages_of(response)[0].startswith("Imported Shipments with 4 operations.")
    assert "listShipments" in response.content.decode()


def test_api_import_from_an_uploaded_file_with_a_byte_order_mark(client, administrator):
    client.force_login(administrator)
    upload = SimpleUploadedFile(
        "ships.yaml",
        "\ufeffopenapi: 3.0.3\ninfo: {title: Ships ✓, version: '2'}\npaths: {}\n".encode(),
    )
    response = post_import(
        client,
        document_text="",
        document_file=upload,
        display_name="Fleet",
        name="fleet",
        path="fleet/v2",
        service_url="https://backend.example.com",
        protocols=["http", "https"],
    )
    api = Api.objects.get()
    assert response.status_code == 302
    assert (api.display_name, api.name, api.path, api.protocols, api.service_url) == (
        "Fleet",
        "fleet",
        "fleet/v2",
        "http,https",
        "https://backend.example.com",
    )
    assert (api.document_version, api.api_version) == ("3.0.3", "2")


def test_api_import_shows_the_document_s_problems_by_line_and_keeps_the_text(client, administrator):
    client.force_login(administrator)
    text = "openapi: 3.0.3\ninfo:\n  title: Broken\npaths:\n  /a:\n    get:\n      tags: [x]\n"
    response = post_import(client, document_text=text, display_name="Mine")
    assert response.status_code == 200
    errors = field_errors(response, "document_text")
    assert errors and all(error.startswith("Line ") for error in errors)
    body = response.content.decode()
    assert html.escape(text, quote=False).split("\n")[1] in body
    assert 'value="Mine"' in body
    assert not Api.objects.exists()


def test_api_import_refuses_text_that_does_not_parse(client, administrator):
    client.force_login(administrator)
    response = post_import(client, document_text='{\n  "openapi": "3.0.3",\n  oops\n}')
    assert field_errors(response, "document_text")[0].startswith("Line 3: This isn't valid JSON")
    assert not Api.objects.exists()


def test_api_import_refuses_an_external_ref(client, administrator):
    client.force_login(administrator)
    content = json.loads(openapi_text())
    content["paths"]["/shipments"]["get"]["responses"]["200"] = {
        "$ref": "https://example.com/responses.json#/ok"
    }
    response = post_import(client, document_text=json.dumps(content, indent=2))
    errors = field_errors(response, "document_text")
    assert "points outside the document" in errors[0]
    assert errors[0].startswith("Line ")
    assert not Api.objects.exists()


def test_api_import_keeps_an_uploaded_file_s_text_when_it_is_refused(client, administrator):
    client.force_login(administrator)
    upload = SimpleUploadedFile("api.yaml", b"openapi: 3.0.3\ninfo: {title: T}\n")
    response = post_import(client, document_text="", document_file=upload)
    assert field_errors(response, "document_text")
    page = text_of(response)
    assert "The content of api.yaml is in the box below" in page
    assert "info: {title: T}" in page


def test_api_import_refuses_a_file_that_is_not_utf8(client, administrator):
    client.force_login(administrator)
    upload = SimpleUploadedFile("api.yaml", "openapi: 3.0.3 # Übung".encode("latin-1"))
    response = post_import(client, document_text="", document_file=upload)
    assert "isn't UTF-8" in field_errors(response, "document_file")[0]
    assert not Api.objects.exists()


def test_api_import_refuses_a_file_over_the_limit_as_a_field_error(client, administrator):
    client.force_login(administrator)
    big = b"#" * (documents.MAX_DOCUMENT_BYTES + 1)
    response = post_import(
        client, document_text="", document_file=SimpleUploadedFile("big.yaml", big)
    )
    assert response.status_code == 200
    assert "at most 5 MB" in field_errors(response, "document_file")[0]


def test_api_import_refuses_pasted_text_over_the_limit_as_a_field_error(client, administrator):
    client.force_login(administrator)
    response = post_import(client, document_text="#" * (documents.MAX_DOCUMENT_BYTES + 1))
    assert response.status_code == 200
    assert "larger than 5 MB" in field_errors(response, "document_text")[0]


def test_api_import_asks_for_a_document(client, administrator):
    client.force_login(administrator)
    response = post_import(client, document_text="   ")
    assert "The document is empty" in field_errors(response, "document_text")[0]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"path": ""}, "path", "This field is required."),
        ({"path": "../up"}, "path", "Use letters, digits"),
        ({"protocols": []}, "protocols", "Choose at least one protocol."),
        ({"protocols": ["gopher"]}, "protocols", "Select a valid choice."),
        ({"name": "bad id!"}, "name", "Use only letters"),
        ({"name": "x" * 257}, "name", "at most 256"),
        ({"display_name": "x" * 301}, "display_name", "at most 300"),
        ({"service_url": "javascript:alert(1)"}, "service_url", "Enter a valid URL."),
    ],
)
def test_api_import_refuses_bad_fields(client, administrator, overrides, field, message):
    client.force_login(administrator)
    response = post_import(client, **overrides)
    assert response.status_code == 200
    assert message in " ".join(field_errors(response, field))
    assert not Api.objects.exists()


def test_api_import_refuses_a_name_taken_whatever_its_case(client, administrator, make_api):
    make_api("Shipments", path="old")
    client.force_login(administrator)
    response = post_import(client, display_name="SHIPMENTS", name="new", path="new")
    assert "already exists" in field_errors(response, "display_name")[0]
    # Left blank, the document's title is taken, and refused the same way.
    response = post_import(client, name="new", path="new")
    assert "The document's title is “Shipments”" in field_errors(response, "display_name")[0]
    assert Api.objects.count() == 1


def test_api_import_refuses_an_id_or_suffix_already_used(client, administrator, make_api):
    make_api("Shipments", api_version="1.0")
    client.force_login(administrator)
    response = post_import(client, display_name="Other", name="SHIPMENTS", path="other")
    assert "is taken" in field_errors(response, "name")[0]
    response = post_import(client, display_name="Other", path="Shipments")
    assert "URL suffix and version" in " ".join(response.context["form"].non_field_errors())
    assert Api.objects.count() == 1


def test_api_import_stores_unicode_and_markup_as_text(client, administrator):
    client.force_login(administrator)
    post_import(client, display_name="<script>alert(1)</script> Üñí")
    response = client.get(Api.objects.get().get_absolute_url())
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Üñí" in body


def test_api_import_page_offers_upload_and_paste(client, administrator):
    client.force_login(administrator)
    body = client.get(reverse("apis:create")).content.decode()
    assert 'enctype="multipart/form-data"' in body
    assert 'type="file" name="document_file"' in body
    assert 'name="document_text"' in body
    assert 'name="protocols" value="https"' in body
