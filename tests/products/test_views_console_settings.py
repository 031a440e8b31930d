"""The console's Products tab: a product's Settings."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from products import services
from products.models import Product
from tests.conftest import hidden_version, messages_of


def settings_data(product, **overrides):
    """The Settings form as rendered for this product, with some changes."""
    data = {
        "display_name": product.display_name,
        "description": product.description,
        "terms": product.terms,
        "subscription_required": "on" if product.subscription_required else None,
        "approval_required": "on" if product.approval_required else None,
        "subscriptions_limit": product.subscriptions_limit or "",
        "version": product.version,
    } | overrides
    return {key: value for key, value in data.items() if value is not None}


def heading(response):
    return html.unescape(re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S)[1])


def test_product_settings_save_the_changes(client, administrator, product):
    client.force_login(administrator)
    url = reverse("products:update", args=[product.name])
    version = hidden_version(client.get(url))
    response = client.post(
        url,
        settings_data(
            product,
            display_name="Payments v2",
            description="Renamed",
            terms="Be nice",
            approval_required="on",
            subscriptions_limit="2",
            version=version,
        ),
        follow=True,
    )
    assert response.redirect_chain == [(url, 302)]
    assert "Saved the settings of Payments v2." in messages_of(response)
    saved = Product.objects.get(pk=product.pk)
    assert (saved.display_name, saved.description, saved.terms, saved.version) == (
        "Payments v2",
        "Renamed",
        "Be nice",
        version + 1,
    )
    assert (saved.approval_required, saved.subscriptions_limit) == (True, 2)
    assert heading(response) == "Payments v2"


def test_product_settings_ignore_a_posted_id(client, administrator, product):
    client.force_login(administrator)
    url = reverse("products:update", args=[product.name])
    body = client.get(url).content.decode()
    assert 'name="name"' not in body
    assert re.search(r'<input[^>]*id="entity-id"[^>]*readonly', body)
    response = client.post(url, settings_data(product, name="hijacked"))
    assert response.status_code == 302
    assert Product.objects.get(pk=product.pk).name == "payments"
    assert not Product.objects.filter(name="hijacked").exists()


def test_product_settings_refuse_a_name_taken_in_another_case(client, administrator, product):
    services.create_product(name="billing", display_name="Billing")
    client.force_login(administrator)
    response = client.post(
        reverse("products:update", args=[product.name]),
        settings_data(product, display_name="BILLING"),
    )
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["display_name"][0]
    saved = Product.objects.get(pk=product.pk)
    assert (saved.display_name, saved.version) == ("Payments", product.version)


def test_product_settings_allow_a_change_of_case_in_its_own_name(client, administrator, product):
    client.force_login(administrator)
    response = client.post(
        reverse("products:update", args=[product.name]),
        settings_data(product, display_name="PAYMENTS"),
    )
    assert response.status_code == 302
    assert Product.objects.get(pk=product.pk).display_name == "PAYMENTS"


def test_product_settings_refuse_approval_without_subscription(client, administrator, product):
    client.force_login(administrator)
    response = client.post(
        reverse("products:update", args=[product.name]),
        settings_data(product, subscription_required=None, approval_required="on"),
    )
    assert response.status_code == 200
    assert "can't require approval" in html.unescape(response.content.decode())
    saved = Product.objects.get(pk=product.pk)
    assert (saved.subscription_required, saved.approval_required, saved.version) == (
        True,
        False,
        product.version,
    )


def test_product_settings_refused_save_keeps_the_saved_name_in_the_heading(
    client, administrator, product
):
    client.force_login(administrator)
    response = client.post(
        reverse("products:update", args=[product.name]),
        settings_data(product, display_name="Renamed", description="d" * 1001),
    )
    assert response.status_code == 200
    assert "description" in response.context["form"].errors
    body = response.content.decode()
    # Nothing was saved, so the page must not title the product as renamed.
    assert heading(response) == "Payments"
    assert "<title>Settings · Payments" in body
    assert 'value="Renamed"' in body
    assert Product.objects.get(pk=product.pk).display_name == "Payments"


@pytest.mark.parametrize("version", [None, "", "abc"], ids=["missing", "empty", "letters"])
def test_product_settings_refuse_a_post_without_a_valid_version(
    client, administrator, product, version
):
    client.force_login(administrator)
    response = client.post(
        reverse("products:update", args=[product.name]),
        settings_data(product, display_name="Forged", version=version),
    )
    assert response.status_code == 200
    assert "version" in response.context["form"].errors
    saved = Product.objects.get(pk=product.pk)
    assert (saved.display_name, saved.version) == ("Payments", product.version)


def test_product_settings_refuse_a_non_ascii_name_taken_in_another_case(
    client, administrator, product
):
    services.create_product(name="elan", display_name="Élan")
    client.force_login(administrator)
    response = client.post(
        reverse("products:update", args=[product.name]),
        settings_data(product, display_name="ÉLAN"),
    )
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["display_name"][0]
    assert Product.objects.get(pk=product.pk).display_name == "Payments"


@pytest.fixture
def conflict(client, administrator, product):
    """An administrator's Save that lost the race against another one's."""
    client.force_login(administrator)
    url = reverse("products:update", args=[product.name])
    version = hidden_version(client.get(url))
    services.update_product(
        product=product,
        expected_version=version,
        display_name="Theirs",
        description="Their description",
    )
    response = client.post(
        url,
        settings_data(
            product,
            display_name="Mine",
            description="My description",
            subscriptions_limit="5",
            version=version,
        ),
    )
    return url, version, response


def test_product_settings_conflict_keeps_the_other_save(conflict, product):
    _, version, response = conflict
    assert response.status_code == 200
    assert "Someone else saved this product" in response.content.decode()
    saved = Product.objects.get(pk=product.pk)
    assert (saved.display_name, saved.description, saved.subscriptions_limit, saved.version) == (
        "Theirs",
        "Their description",
        None,
        version + 1,
    )


def test_product_settings_conflict_shows_both_versions(conflict):
    _, _, response = conflict
    body = html.unescape(response.content.decode())
    assert "Name: Theirs" in body
    assert "Description: Their description" in body
    assert "Name: Mine" in body
    assert "Description: My description" in body
    assert heading(response) == "Theirs"


def test_product_settings_conflict_keeps_what_was_typed_in_the_form(conflict):
    _, version, response = conflict
    body = response.content.decode()
    assert re.search(r'<input[^>]*name="display_name"[^>]*value="Mine"', body)
    assert "My description</textarea>" in body
    assert hidden_version(response) == version + 1


def test_product_settings_save_again_after_a_conflict_wins(client, conflict, product):
    url, version, response = conflict
    # Press Save again: the form now carries the version just read.
    again = client.post(
        url,
        settings_data(
            product,
            display_name="Mine",
            description="My description",
            subscriptions_limit="5",
            version=hidden_version(response),
        ),
    )
    assert again.status_code == 302
    saved = Product.objects.get(pk=product.pk)
    assert (saved.display_name, saved.description, saved.subscriptions_limit, saved.version) == (
        "Mine",
        "My description",
        5,
        version + 2,
    )
