"""The console's APIs tab: an API's Overview, restrictions, Products, Settings and Delete."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from apis import services
from apis.models import Api, ProductApi, Restriction
from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from tests.conftest import hidden_version, messages_of, openapi_text, table_row


def text_of(response):
    return " ".join(html.unescape(response.content.decode()).split())


@pytest.fixture
def api(make_api, product):
    return make_api("Shipments", products=[product], description="Ships **fast**. <b>x</b>")


API_PAGES = [
    ("apis:detail", []),
    ("apis:products", []),
    ("apis:add_to_products", []),
    ("apis:update", []),
    ("apis:delete", []),
    ("apis:reimport", []),
    ("apis:restrict_operation", ["listShipments"]),
    ("apis:restrict_tag", ["Shipments"]),
]


@pytest.mark.parametrize(("route", "extra"), API_PAGES)
def test_api_pages_of_an_unknown_api_are_404(client, administrator, route, extra):
    client.force_login(administrator)
    assert client.get(reverse(route, args=["no-such-api", *extra])).status_code == 404


@pytest.mark.parametrize(
    ("route", "args"),
    [
        ("apis:restrict_operation", ["shipments", "noSuchOperation"]),
        ("apis:restrict_tag", ["shipments", "No such tag"]),
        ("apis:unrestrict", ["shipments", 987654]),
        ("apis:remove_from_product", ["shipments", "no-such-product"]),
    ],
)
def test_api_pages_of_an_unknown_part_are_404(client, administrator, api, route, args):
    client.force_login(administrator)
    assert client.get(reverse(route, args=args)).status_code == 404
    assert client.post(reverse(route, args=args)).status_code == 404


# Overview


def test_api_overview_shows_its_settings_and_operations(client, administrator, api):
    client.force_login(administrator)
    response = client.get(api.get_absolute_url())
    body = response.content.decode()
    assert "Ships <strong>fast</strong>. &lt;b&gt;x&lt;/b&gt;" in body
    row = table_row(body, ">listShipments</div>")
    assert ">GET</span>" in row
    assert "/shipments</td>" in row
    assert "Everyone who sees the API" in row
    assert reverse("apis:restrict_operation", args=[api.name, "listShipments"]) in row
    page = text_of(response)
    assert "Operations (4)" in page
    assert "OpenAPI (YAML), version 3.0.3" in page
    assert reverse("apis:restrict_tag", args=[api.name, "Admin"]) in body


def test_api_overview_pages_operations_in_constant_queries(
    client, administrator, make_api, django_assert_max_num_queries
):
    operations = [("get", f"/items/{n}", f"op{n}", [f"tag{n % 3}"]) for n in range(120)]
    from_doc = make_api("Big", text=openapi_text("Big", operations))
    client.force_login(administrator)
    client.get(from_doc.get_absolute_url())  # warm: the menu's badge is then a cache read
    with django_assert_max_num_queries(10):
        response = client.get(from_doc.get_absolute_url())
    assert len(response.context["rows"]) == 50
    assert response.context["operation_count"] == 120


# Restrictions


def test_restrict_an_operation_to_groups_with_the_picker(
    client, administrator, api, partners, beta
):
    client.force_login(administrator)
    url = reverse("apis:restrict_operation", args=[api.name, "listshipments"])
    page = client.get(url)
    assert page.status_code == 200
    assert "administrators" not in [row.value for row in page.context["rows"]]
    response = client.post(url, {"pick": [partners.name, beta.name]}, follow=True)
    assert response.redirect_chain == [(api.get_absolute_url(), 302)]
    rules = set(Restriction.objects.values_list("kind", "target", "group__name"))
    assert rules == {
        ("operation", "listShipments", "partners"),
        ("operation", "listShipments", "beta"),
    }
    assert "is now shown only to Beta testers, Partners" in messages_of(response)[0]
    row = table_row(response.content.decode(), ">listShipments</div>")
    assert "Partners" in row and "Beta testers" in row
    # Already allowed groups show as such, and can't be ticked again.
    again = client.get(url)
    assert all(row.taken for row in again.context["rows"] if row.value in ("partners", "beta"))
    response = client.post(url, {"pick": [partners.name]}, follow=True)
    assert "was already shown to Partners" in messages_of(response)[0]


def test_restrict_a_tag_with_unicode_and_spaces(client, administrator, make_api, partners):
    api = make_api("Odd", text=openapi_text("Odd", [("get", "/x", "getX", ["Ädmin / ops?"])]))
    client.force_login(administrator)
    url = reverse("apis:restrict_tag", args=[api.name, "Ädmin / ops?"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"pick": [partners.name]}).status_code == 302
    assert Restriction.objects.get().target == "Ädmin / ops?"


def test_restrict_without_a_choice_says_so(client, administrator, api):
    client.force_login(administrator)
    url = reverse("apis:restrict_tag", args=[api.name, "Admin"])
    for data in [{}, {"pick": ["no-such-group"]}, {"pick": ["administrators"]}, {"pick": ["\x00"]}]:
        response = client.post(url, data)
        assert response.status_code == 200
        assert "Choose at least one group" in response.content.decode()
    assert not Restriction.objects.exists()


def test_remove_a_restriction_asks_first(client, administrator, api, partners):
    services.restrict(api=api, kind="tag", target="Admin", groups=[partners], added_by=None)
    rule = Restriction.objects.get()
    client.force_login(administrator)
    url = reverse("apis:unrestrict", args=[api.name, rule.pk])
    page = text_of(client.get(url))
    assert "Remove Partners from the groups allowed the operations tagged Admin?" in page
    assert Restriction.objects.exists()
    response = client.post(url, follow=True)
    assert not Restriction.objects.exists()
    assert "Partners no longer" in messages_of(response)[0]


def test_a_restriction_of_another_api_is_404(client, administrator, api, make_api, partners):
    other = make_api("Other")
    services.restrict(api=other, kind="tag", target="Admin", groups=[partners], added_by=None)
    client.force_login(administrator)
    url = reverse("apis:unrestrict", args=[api.name, Restriction.objects.get().pk])
    assert client.post(url).status_code == 404
    assert Restriction.objects.exists()


# Products


def test_api_products_tab_lists_the_products_that_contain_it(client, administrator, api, product):
    client.force_login(administrator)
    response = client.get(reverse("apis:products", args=[api.name]))
    row = table_row(response.content.decode(), "Payments</a>")
    assert reverse("apis:remove_from_product", args=[api.name, product.name]) in row


def test_add_an_api_to_products_with_the_picker(client, administrator, api, product, make_product):
    ledger = make_product("Ledger")
    client.force_login(administrator)
    url = reverse("apis:add_to_products", args=[api.name])
    page = client.get(url)
    taken = {row.value: row.taken for row in page.context["rows"]}
    assert taken == {"ledger": False, "payments": True}
    response = client.post(url, {"pick": [ledger.name, "missing"]}, follow=True)
    assert set(api.products.values_list("name", flat=True)) == {"payments", "ledger"}
    assert messages_of(response) == ["Shipments is now in Ledger."]
    response = client.post(url, {"pick": [ledger.name]}, follow=True)
    assert messages_of(response) == ["Shipments was already in Ledger."]


def test_remove_an_api_from_a_product_asks_first(client, administrator, api, product):
    client.force_login(administrator)
    url = reverse("apis:remove_from_product", args=[api.name, product.name])
    assert "Take Shipments out of Payments?" in text_of(client.get(url))
    assert ProductApi.objects.exists()
    response = client.post(url, follow=True)
    assert not ProductApi.objects.exists()
    assert messages_of(response) == ["Shipments is no longer in Payments."]
    # Replayed: the link is gone.
    assert client.post(url).status_code == 404


# Settings


def settings_data(api, **overrides):
    data = {
        "display_name": api.display_name,
        "description": api.description,
        "path": api.path,
        "service_url": api.service_url,
        "protocols": api.protocol_list,
        "api_version": api.api_version,
        "api_revision": api.api_revision,
        "subscription_required": "on" if api.subscription_required else None,
        "version": api.version,
    } | overrides
    return {key: value for key, value in data.items() if value is not None}


def test_api_settings_save_the_changes(client, administrator, api):
    client.force_login(administrator)
    url = reverse("apis:update", args=[api.name])
    version = hidden_version(client.get(url))
    response = client.post(
        url,
        settings_data(
            api,
            display_name="Shipments ✈",
            description="New",
            path="/ships/v2/",
            protocols=["http", "https"],
            api_version="v2",
            subscription_required=None,
            version=version,
        ),
        follow=True,
    )
    assert messages_of(response) == ["Saved the settings of Shipments ✈."]
    api.refresh_from_db()
    assert (api.display_name, api.path, api.protocols, api.api_version) == (
        "Shipments ✈",
        "ships/v2",
        "http,https",
        "v2",
    )
    assert api.subscription_required is False


def test_api_settings_refuse_to_overwrite_a_concurrent_save(client, administrator, api):
    client.force_login(administrator)
    url = reverse("apis:update", args=[api.name])
    version = hidden_version(client.get(url))
    services.update_api(api=api, expected_version=None, description="Theirs")
    response = client.post(url, settings_data(api, description="Mine", version=version))
    assert response.status_code == 200
    assert response.context["conflict"]
    api.refresh_from_db()
    assert api.description == "Theirs"
    # Saved again, knowingly: theirs is replaced.
    again = client.post(url, settings_data(api, description="Mine", version=api.version))
    assert again.status_code == 302
    api.refresh_from_db()
    assert api.description == "Mine"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"display_name": ""}, "display_name", "required"),
        ({"display_name": "LEDGER API"}, "display_name", "already exists"),
        ({"display_name": "x" * 301}, "display_name", "at most 300"),
        ({"description": "x" * 10001}, "description", "at most 10000"),
        ({"path": ""}, "path", "required"),
        ({"path": "a//b"}, "path", "Use letters"),
        ({"protocols": []}, "protocols", "Choose at least one protocol"),
        ({"service_url": "ftp://x"}, "service_url", "valid URL"),
        ({"version": "abc"}, "version", "whole number"),
    ],
)
def test_api_settings_refuse_bad_input(
    client, administrator, api, make_api, overrides, field, message
):
    make_api("Ledger API")
    client.force_login(administrator)
    before = Api.objects.get(pk=api.pk)
    response = client.post(reverse("apis:update", args=[api.name]), settings_data(api, **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    after = Api.objects.get(pk=api.pk)
    assert (after.version, after.display_name, after.path) == (
        before.version,
        before.display_name,
        before.path,
    )


def test_api_settings_refuse_a_suffix_and_version_in_use(client, administrator, api, make_api):
    make_api("Ledger", path="ledger", api_version="")
    client.force_login(administrator)
    response = client.post(
        reverse("apis:update", args=[api.name]), settings_data(api, path="LEDGER", api_version="")
    )
    assert response.status_code == 200
    assert "URL suffix and version" in " ".join(response.context["form"].non_field_errors())


# Delete


def test_api_delete_names_what_is_lost_then_deletes(client, administrator, api, product, partners):
    services.restrict(api=api, kind="tag", target="Admin", groups=[partners], added_by=None)
    client.force_login(administrator)
    url = reverse("apis:delete", args=[api.name])
    page = text_of(client.get(url))
    assert "Delete the API Shipments?" in page
    assert "Its 4 operations and 1 restriction on them." in page
    assert "Its place in 1 product: Payments." in page
    assert Api.objects.exists()
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(reverse("apis:list"), 302)]
    assert not Api.objects.exists()
    assert messages_of(response)[0].startswith("Deleted the API Shipments; its 4 operations")
    assert product.__class__.objects.filter(pk=product.pk).exists()


def test_api_delete_with_subscriptions_to_it_alone_needs_the_box_ticked(
    client, administrator, api, member
):
    subscription_services.create_subscription(
        sid="alone", owner=member, api=api, display_name="Tracker", actor=administrator
    )
    client.force_login(administrator)
    url = reverse("apis:delete", args=[api.name])
    page = text_of(client.get(url))
    assert "Its 1 subscription to this API alone, if you tick the box below" in page

    refused = text_of(client.post(url))

    assert "has 1 subscription to it alone" in refused
    assert Api.objects.filter(pk=api.pk).exists()
    response = client.post(url, {"delete_subscriptions": "on"}, follow=True)
    assert response.redirect_chain == [(reverse("apis:list"), 302)]
    assert not Api.objects.exists()
    assert not Subscription.objects.filter(sid="alone").exists()
