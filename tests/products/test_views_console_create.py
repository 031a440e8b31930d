"""The console's Products tab: + Add."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from groups.models import Group
from products import services
from products.models import Product
from tests.conftest import messages_of
from tests.products.conftest import linked_groups


def create_data(**overrides):
    """The + Add form as a browser posts it; None leaves a checkbox unticked."""
    data = {
        "display_name": "",
        "name": "",
        "description": "",
        "terms": "",
        "subscription_required": "on",
        "subscriptions_limit": "",
        "state": Product.State.NOT_PUBLISHED,
    } | overrides
    return {key: value for key, value in data.items() if value is not None}


def post_create(client, **data):
    return client.post(reverse("products:create"), create_data(**data))


def test_product_create_links_administrators_and_the_chosen_groups(
    client, administrator, partners, others
):
    client.force_login(administrator)
    response = client.post(
        reverse("products:create"),
        create_data(
            display_name="Weather API",
            name="weather",
            description="Forecasts",
            subscriptions_limit="3",
            groups=[partners.pk, others.pk],
        ),
        follow=True,
    )
    product = Product.objects.get(name="weather")
    assert response.redirect_chain == [(product.get_absolute_url(), 302)]
    assert any(
        text.startswith("Created the product Weather API.") for text in messages_of(response)
    )
    assert (product.display_name, product.description, product.state) == (
        "Weather API",
        "Forecasts",
        Product.State.NOT_PUBLISHED,
    )
    assert (product.subscription_required, product.approval_required) == (True, False)
    assert product.subscriptions_limit == 3
    assert linked_groups(product) == {Group.ADMINISTRATORS, "partners", "others"}
    assert set(product.links.values_list("added_by", flat=True)) == {administrator.pk}


def test_product_create_links_administrators_when_no_group_is_chosen(client, administrator):
    client.force_login(administrator)
    response = post_create(client, display_name="Solo", name="solo")
    assert response.status_code == 302
    assert linked_groups(Product.objects.get(name="solo")) == {Group.ADMINISTRATORS}


def test_product_create_published_says_nothing_about_publishing(client, administrator):
    client.force_login(administrator)
    response = client.post(
        reverse("products:create"),
        create_data(display_name="Live", state=Product.State.PUBLISHED),
        follow=True,
    )
    assert messages_of(response) == ["Created the product Live."]
    assert Product.objects.get(name="live").is_published


def test_product_create_unpublished_says_who_sees_it(client, administrator):
    client.force_login(administrator)
    response = client.post(
        reverse("products:create"), create_data(display_name="Draft"), follow=True
    )
    assert messages_of(response) == [
        "Created the product Draft. It is not published yet: only administrators see it "
        "until you publish it."
    ]


@pytest.mark.parametrize(
    ("display_name", "proposed"),
    [
        ("Weather API", "weather-api"),
        ("Café Crème", "cafe-creme"),
        ("  Beta -- Payments!  ", "beta-payments"),
        ("Élan 東京 🚀", "elan"),
    ],
)
def test_product_create_proposes_the_id_from_the_name(
    client, administrator, display_name, proposed
):
    client.force_login(administrator)
    response = post_create(client, display_name=display_name)
    assert response.status_code == 302
    assert Product.objects.get(name=proposed).display_name == display_name.strip()


def test_product_create_needs_an_id_when_the_name_proposes_none(client, administrator):
    client.force_login(administrator)
    response = post_create(client, display_name="🚀🚀")
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not Product.objects.exists()


@pytest.mark.parametrize("display_name", ["PAYMENTS", "payments", "Payments", "pAyMeNtS"])
def test_product_create_refuses_a_name_taken_in_any_case(
    client, administrator, product, display_name
):
    client.force_login(administrator)
    response = post_create(client, display_name=display_name, name="another-id")
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["display_name"][0]
    assert list(Product.objects.values_list("name", flat=True)) == ["payments"]


@pytest.mark.parametrize(
    ("saved", "typed"), [("Élan", "ÉLAN"), ("ÉLAN", "élan"), ("Straße", "STRASSE")]
)
def test_product_create_refuses_a_non_ascii_name_taken_in_another_case(
    client, administrator, saved, typed
):
    services.create_product(name="first", display_name=saved)
    client.force_login(administrator)
    response = post_create(client, display_name=typed, name="second")
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["display_name"][0]
    assert list(Product.objects.values_list("display_name", flat=True)) == [saved]


@pytest.mark.parametrize("name", ["PAYMENTS", "Payments", "payments"])
def test_product_create_refuses_an_id_taken_in_any_case(client, administrator, product, name):
    client.force_login(administrator)
    response = post_create(client, display_name="Another product", name=name)
    assert response.status_code == 200
    assert "is taken by another product" in response.context["form"].errors["name"][0]
    assert Product.objects.count() == 1


def test_product_create_refuses_a_proposed_id_that_is_taken(client, administrator, product):
    client.force_login(administrator)
    response = post_create(client, display_name="Payments!")
    assert response.status_code == 200
    assert "“payments” is taken" in response.context["form"].errors["name"][0]
    assert Product.objects.count() == 1


@pytest.mark.parametrize("name", ["new", "NEW", "New"])
def test_product_create_refuses_a_reserved_id(client, administrator, name):
    client.force_login(administrator)
    response = post_create(client, display_name="Valid name", name=name)
    assert response.status_code == 200
    assert "is reserved" in response.context["form"].errors["name"][0]
    assert not Product.objects.exists()


def test_product_create_refuses_a_name_proposing_a_reserved_id(client, administrator):
    client.force_login(administrator)
    response = post_create(client, display_name="New")
    assert response.status_code == 200
    assert "is reserved" in response.context["form"].errors["name"][0]
    assert not Product.objects.exists()


@pytest.mark.parametrize("name", ["a b", "x/y", "..", "café", "<b>"])
def test_product_create_refuses_invalid_id_characters(client, administrator, name):
    client.force_login(administrator)
    response = post_create(client, display_name="Valid name", name=name)
    assert response.status_code == 200
    assert "Use only letters, digits" in response.context["form"].errors["name"][0]
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"display_name": ""}, "display_name", "This field is required."),
        ({"display_name": "   "}, "display_name", "This field is required."),
        (
            {"display_name": "n" * 301},
            "display_name",
            "Ensure this value has at most 300 characters (it has 301).",
        ),
        (
            {"display_name": "Long ID", "name": "i" * 257},
            "name",
            "Ensure this value has at most 256 characters (it has 257).",
        ),
        (
            {"display_name": "Long text", "description": "d" * 1001},
            "description",
            "Ensure this value has at most 1000 characters (it has 1001).",
        ),
        (
            {"display_name": "Long terms", "terms": "t" * 10001},
            "terms",
            "Ensure this value has at most 10000 characters (it has 10001).",
        ),
    ],
    ids=["empty", "blank", "name-301", "id-257", "description-1001", "terms-10001"],
)
def test_product_create_refuses_missing_or_overlong_values(
    client, administrator, data, field, message
):
    client.force_login(administrator)
    response = post_create(client, **data)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert message in html.unescape(response.content.decode())
    assert not Product.objects.exists()


def test_product_create_accepts_the_longest_values(client, administrator):
    client.force_login(administrator)
    response = post_create(client, display_name="n" * 300, name="i" * 256, description="d" * 1000)
    assert response.status_code == 302
    assert Product.objects.filter(name="i" * 256).exists()


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_product_create_refuses_a_limit_below_one(client, administrator, limit):
    client.force_login(administrator)
    response = post_create(client, display_name="Limited", subscriptions_limit=limit)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Product.objects.exists()


def test_product_create_says_the_limit_is_at_least_one(client, administrator):
    client.force_login(administrator)
    response = post_create(client, display_name="Limited", subscriptions_limit="0")
    assert "The limit is at least 1" in html.unescape(response.content.decode())


def test_product_create_refuses_approval_without_subscription(client, administrator):
    client.force_login(administrator)
    response = post_create(
        client, display_name="Open", subscription_required=None, approval_required="on"
    )
    assert response.status_code == 200
    errors = [
        message for messages in response.context["form"].errors.values() for message in messages
    ]
    assert any("can't require approval" in message for message in errors)
    assert "can't require approval" in html.unescape(response.content.decode())
    assert not Product.objects.exists()


@pytest.mark.parametrize(("subscription", "approval"), [("on", "on"), ("on", None), (None, None)])
def test_product_create_accepts_consistent_subscription_settings(
    client, administrator, subscription, approval
):
    client.force_login(administrator)
    response = post_create(
        client,
        display_name="Consistent",
        subscription_required=subscription,
        approval_required=approval,
    )
    assert response.status_code == 302
    product = Product.objects.get(name="consistent")
    assert (product.subscription_required, product.approval_required) == (
        subscription == "on",
        approval == "on",
    )


def test_product_create_escapes_html_in_the_name(client, administrator, partners):
    client.force_login(administrator)
    name = "<script>alert(1)</script>"
    response = client.post(
        reverse("products:create"),
        create_data(display_name=name, name="xss", description=name),
        follow=True,
    )
    assert response.redirect_chain == [(reverse("products:detail", args=["xss"]), 302)]
    assert Product.objects.get(name="xss").display_name == name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.content.decode()
    for route, args in [
        ("products:list", []),
        ("products:detail", ["xss"]),
        ("products:update", ["xss"]),
        ("products:delete", ["xss"]),
        ("products:access", ["xss"]),
        ("products:add_groups", ["xss"]),
        ("products:remove_group", ["xss", "administrators"]),
    ]:
        body = client.get(reverse(route, args=args)).content.decode()
        assert "&lt;script&gt;" in body, route
        assert "<script>alert" not in body, route


def test_product_create_keeps_unicode_names(client, administrator):
    client.force_login(administrator)
    name = "Équipe 東京 🚀"
    response = post_create(client, display_name=name, description="Zoë’s API — 東京")
    assert response.status_code == 302
    product = Product.objects.get(display_name=name)
    assert product.name == "equipe"
    assert name in client.get(reverse("products:list")).content.decode()
    assert "Zoë’s API — 東京" in client.get(product.get_absolute_url()).content.decode()


def test_product_create_keeps_what_was_typed_after_an_error(client, administrator, partners):
    client.force_login(administrator)
    response = post_create(
        client,
        display_name="Keep Me",
        name="bad id",
        description="Typed & kept",
        terms="Terms & conditions",
        subscriptions_limit="7",
        groups=[partners.pk],
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="Keep Me"' in body
    assert 'value="bad id"' in body
    assert "Typed &amp; kept</textarea>" in body
    assert "Terms &amp; conditions</textarea>" in body
    assert 'value="7"' in body
    partners_box = re.search(rf'<input[^>]*name="groups"[^>]*value="{partners.pk}"[^>]*>', body)[0]
    assert "checked" in partners_box
    assert not Product.objects.exists()


def test_product_create_accepts_groups_beyond_the_offered_checkboxes(client, administrator):
    Group.objects.bulk_create(
        Group(name=f"team-{n:02}", display_name=f"Team {n:02}", display_name_key=f"team {n:02}")
        for n in range(40)
    )
    client.force_login(administrator)
    body = client.get(reverse("products:create")).content.decode()
    offered = {int(pk) for pk in re.findall(r'name="groups" value="(\d+)"', body)}
    assert len(offered) == 30
    hidden = Group.objects.filter(name__in=["team-38", "team-39"])
    assert not offered & {group.pk for group in hidden}
    assert Group.objects.get(name=Group.ADMINISTRATORS).pk not in offered
    response = post_create(
        client, display_name="Wide", groups=[group.pk for group in hidden] + [min(offered)]
    )
    assert response.status_code == 302
    linked = linked_groups(Product.objects.get(name="wide"))
    assert {"team-38", "team-39", Group.ADMINISTRATORS} <= linked
    assert len(linked) == 4


def test_product_create_refuses_an_unknown_group(client, administrator):
    client.force_login(administrator)
    response = post_create(client, display_name="Ghost", groups=["999999"])
    assert response.status_code == 200
    assert "groups" in response.context["form"].errors
    assert not Product.objects.exists()
