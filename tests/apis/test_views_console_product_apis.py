"""A product's APIs tab in the console: the list, + Add API with the picker, Remove."""

from __future__ import annotations

import html

from django.urls import reverse

from apis.models import Api, Operation, ProductApi
from tests.conftest import messages_of, table_row


def text_of(response):
    return " ".join(html.unescape(response.content.decode()).split())


def test_product_apis_tab_lists_the_product_s_apis(client, administrator, product, make_api):
    api = make_api("Shipments", products=[product])
    make_api("Elsewhere")
    client.force_login(administrator)
    response = client.get(reverse("apis:product_apis", args=[product.name]))
    body = response.content.decode()
    assert [link.api.name for link in response.context["page"]] == ["shipments"]
    row = table_row(body, f'href="{api.get_absolute_url()}"')
    assert '<td class="text-end">4</td>' in row
    assert reverse("apis:product_remove_api", args=[product.name, api.name]) in row
    # The product's tabs, with APIs current; the menu is on Products.
    assert f'aria-current="page" href="{reverse("apis:product_apis", args=[product.name])}"' in body
    assert 'aria-current="page" href="/console/products/"' in body


def test_product_tabs_link_to_the_apis_tab(client, administrator, product):
    client.force_login(administrator)
    body = client.get(product.get_absolute_url()).content.decode()
    assert f'href="{reverse("apis:product_apis", args=[product.name])}">APIs</a>' in body


def test_product_apis_tab_without_apis_says_what_to_do(client, administrator, product):
    client.force_login(administrator)
    page = text_of(client.get(reverse("apis:product_apis", args=[product.name])))
    assert "No APIs yet" in page
    assert "to put APIs in this product." in page


def test_product_apis_tab_queries_do_not_grow_with_rows(
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
        ProductApi.objects.bulk_create(
            ProductApi(product=product, api=api, added_by=administrator) for api in apis
        )

    # 1. the session
    # 2. the signed-in user
    # 3. the product
    # 4. the paginator's COUNT of the product's APIs
    # 5. one page of them, with each API, who added it, and its operation count
    # 6. the menu's badge of waiting approvals, read from the shared cache
    assert_queries_do_not_grow(reverse("apis:product_apis", args=[product.name]), add_apis, 6)


def test_add_apis_to_a_product_with_the_picker_across_pages(
    client, administrator, product, make_api, settings
):
    settings.PORTICO_PAGE_SIZE = 2
    inside = make_api("Alpha", products=[product])
    beta = make_api("Beta")
    gamma = make_api("Gamma")
    client.force_login(administrator)
    url = reverse("apis:product_add_apis", args=[product.name])
    first = client.get(url)
    assert [(row.value, row.taken) for row in first.context["rows"]] == [
        ("alpha", True),
        ("beta", False),
    ]
    second = client.get(url, {"page": 2})
    assert [row.value for row in second.context["rows"]] == ["gamma"]
    searched = client.get(url, {"q": "gam"})
    assert [row.value for row in searched.context["rows"]] == ["gamma"]
    # What was ticked on both pages is submitted at once.
    response = client.post(url, {"pick": [beta.name, gamma.name]}, follow=True)
    assert set(product.apis.values_list("name", flat=True)) == {"alpha", "beta", "gamma"}
    assert messages_of(response) == ["Payments now contains Beta, Gamma."]
    response = client.post(url, {"pick": [inside.name]}, follow=True)
    assert messages_of(response) == ["Payments already contained Alpha."]


def test_add_apis_without_a_choice_says_so(client, administrator, product, make_api):
    make_api("Alpha")
    client.force_login(administrator)
    url = reverse("apis:product_add_apis", args=[product.name])
    for data in [{}, {"pick": ["no-such-api"]}, {"pick": ["<script>"]}, {"pick": ["é" * 300]}]:
        response = client.post(url, data)
        assert "Choose at least one API" in response.content.decode()
    assert not ProductApi.objects.exists()


def test_remove_an_api_from_the_product_s_tab(client, administrator, product, make_api):
    api = make_api("Shipments", products=[product])
    client.force_login(administrator)
    url = reverse("apis:product_remove_api", args=[product.name, api.name])
    assert "Take Shipments out of Payments?" in text_of(client.get(url))
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(reverse("apis:product_apis", args=[product.name]), 302)]
    assert messages_of(response) == ["Shipments is no longer in Payments."]
    assert not ProductApi.objects.exists()
    assert Api.objects.filter(pk=api.pk).exists()


def test_product_apis_pages_of_unknown_ids_are_404(client, administrator, product, make_api):
    api = make_api("Shipments")
    client.force_login(administrator)
    for url in [
        reverse("apis:product_apis", args=["nope"]),
        reverse("apis:product_add_apis", args=["nope"]),
        reverse("apis:product_remove_api", args=["nope", api.name]),
        # An API that isn't in the product.
        reverse("apis:product_remove_api", args=[product.name, api.name]),
    ]:
        assert client.get(url).status_code == 404
        if "/apis/" in url and not url.endswith("/apis/"):
            assert client.post(url).status_code == 404
