"""The console's Products tab: list, + Add, Settings, Publish, Delete, Access control."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from groups import services as group_services
from groups.models import Group
from products import services
from products.models import Product, ProductGroup
from tests.console import REFUSED, assert_refused, count_queries, messages_of, sign_in_as

# Who is turned away from the console, and how: people the site doesn't know
# as signed in go to the sign-in page; signed-in non-administrators get 403.
GET_ROUTES = [
    "products:list",
    "products:create",
    "products:detail",
    "products:update",
    "products:delete",
    "products:access",
    "products:add_groups",
    "products:remove_group",
]
POST_ROUTES = [
    "products:create",
    "products:update",
    "products:publish",
    "products:unpublish",
    "products:delete",
    "products:add_groups",
    "products:remove_group",
]


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


@pytest.fixture
def partners(db):
    return group_services.create_group(
        name="partners", display_name="Partners", description="Partner companies"
    )


@pytest.fixture
def others(db):
    return group_services.create_group(name="others", display_name="Others")


@pytest.fixture
def product(partners):
    """A published product that Administrators and Partners see."""
    return services.create_product(
        name="payments",
        display_name="Payments",
        description="Take payments",
        state=Product.State.PUBLISHED,
        groups=[partners],
        added_by=None,
    )


@pytest.fixture
def group_member(make_user, partners):
    """A developer in a group that can see the product."""
    member = make_user(email="member@example.com", first_name="Mia", last_name="Member")
    group_services.add_members(group=partners, users=[member], added_by=None)
    return member


@pytest.fixture
def routes(product, others, group_member):
    """URL arguments and a valid POST body for every console URL of the app."""
    name = product.name
    return {
        "products:list": ([], {}),
        "products:create": ([], create_data(display_name="Forged", name="forged")),
        "products:detail": ([name], {}),
        "products:update": ([name], settings_data(product, display_name="Forged")),
        "products:publish": ([name], {}),
        "products:unpublish": ([name], {}),
        "products:delete": ([name], {}),
        "products:access": ([name], {}),
        "products:add_groups": ([name], {"pick": [others.name]}),
        "products:remove_group": ([name, "partners"], {}),
    }


def snapshot():
    """Everything a console write could change, in a comparable form."""
    return (
        sorted(
            Product.objects.values_list(
                "name",
                "display_name",
                "description",
                "terms",
                "state",
                "subscription_required",
                "approval_required",
                "subscriptions_limit",
                "version",
            )
        ),
        sorted(ProductGroup.objects.values_list("product__name", "group__name")),
        sorted(Group.objects.values_list("name", "display_name", "version")),
    )


def text_of(response):
    """The page's text with entities decoded and runs of white space made one space."""
    return " ".join(html.unescape(response.content.decode()).split())


def heading(response):
    return html.unescape(re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S)[1])


def hidden_version(response):
    match = re.search(r'name="version" value="(\d+)"', response.content.decode())
    assert match, "the settings form has no version field"
    return int(match[1])


def linked_groups(product):
    return set(ProductGroup.objects.filter(product=product).values_list("group__name", flat=True))


def table_row(body, marker):
    """The <tr> of a table that holds this piece of markup."""
    pattern = rf"<tr>(?:(?!</tr>).)*{re.escape(marker)}(?:(?!</tr>).)*</tr>"
    return re.search(pattern, body, re.S)[0]


def checkbox(body, pk):
    return re.search(rf'<input[^>]*id="pick-{pk}"[^>]*>', body)[0]


# Access


@pytest.mark.parametrize("route", GET_ROUTES)
@pytest.mark.parametrize(("who", "outcome"), REFUSED)
def test_product_pages_refuse_non_administrators(client, request, routes, route, who, outcome):
    args, _ = routes[route]
    url = reverse(route, args=args)
    sign_in_as(client, request, who)
    assert_refused(client.get(url), url, outcome)


@pytest.mark.parametrize("route", POST_ROUTES)
@pytest.mark.parametrize(("who", "outcome"), REFUSED)
def test_product_writes_by_non_administrators_change_nothing(
    client, request, routes, route, who, outcome
):
    args, data = routes[route]
    url = reverse(route, args=args)
    sign_in_as(client, request, who)
    before = snapshot()
    assert_refused(client.post(url, data), url, outcome)
    assert snapshot() == before


@pytest.mark.parametrize("route", GET_ROUTES)
def test_product_pages_open_to_administrators(client, administrator, routes, route):
    args, _ = routes[route]
    client.force_login(administrator)
    assert client.get(reverse(route, args=args)).status_code == 200


@pytest.mark.parametrize("route", POST_ROUTES)
def test_product_writes_by_administrators_take_effect(client, administrator, routes, route):
    # The same bodies the refused requests send: proof that they would have
    # changed something had they been let through.
    args, data = routes[route]
    client.force_login(administrator)
    before = snapshot()
    assert client.post(reverse(route, args=args), data).status_code == 302
    assert snapshot() != before


@pytest.mark.parametrize("route", POST_ROUTES)
def test_product_writes_without_a_csrf_token_change_nothing(administrator, routes, route):
    # A page on another site that makes an administrator's browser post.
    forging = Client(enforce_csrf_checks=True)
    forging.force_login(administrator)
    args, data = routes[route]
    before = snapshot()
    assert forging.post(reverse(route, args=args), data).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("route", ["products:publish", "products:unpublish"])
def test_product_state_changes_refuse_get(client, administrator, product, route):
    client.force_login(administrator)
    before = snapshot()
    assert client.get(reverse(route, args=[product.name])).status_code == 405
    assert snapshot() == before


@pytest.mark.parametrize("route", ["products:list", "products:detail", "products:access"])
def test_product_read_only_pages_refuse_post(client, administrator, routes, route):
    args, _ = routes[route]
    client.force_login(administrator)
    before = snapshot()
    assert client.post(reverse(route, args=args)).status_code == 405
    assert snapshot() == before


def test_product_pages_of_an_unknown_product_are_404(client, administrator):
    client.force_login(administrator)
    for route in [
        "products:detail",
        "products:update",
        "products:delete",
        "products:access",
        "products:add_groups",
    ]:
        assert client.get(reverse(route, args=["no-such-product"])).status_code == 404


# List


def test_product_list_shows_each_product_with_its_group_count(client, administrator, product):
    services.create_product(name="draft", display_name="Draft")
    client.force_login(administrator)
    response = client.get(reverse("products:list"))
    assert [(p.name, p.group_count) for p in response.context["page"]] == [
        ("draft", 1),
        ("payments", 2),
    ]
    body = response.content.decode()
    row = table_row(body, f'href="{product.get_absolute_url()}"')
    assert ">Published</span>" in row
    assert re.search(r'<td class="text-end">2</td>\s*</tr>', row)
    assert ">Not published</span>" in table_row(body, ">draft</div>")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "PAY"}, ["payments"]),
        ({"q": "take payments"}, ["payments"]),
        ({"state": Product.State.NOT_PUBLISHED}, ["draft"]),
        ({"state": Product.State.PUBLISHED}, ["payments"]),
        ({"sort": "-name"}, ["payments", "draft"]),
        ({"state": "bogus"}, ["draft", "payments"]),
    ],
)
def test_product_list_search_filter_and_sort(client, administrator, product, params, expected):
    services.create_product(name="draft", display_name="Draft")
    client.force_login(administrator)
    response = client.get(reverse("products:list"), params)
    assert [p.name for p in response.context["page"]] == expected


# + Add


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


# Settings


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


# Publish and unpublish


def test_product_publish_publishes_it(client, administrator):
    draft = services.create_product(name="draft", display_name="Draft")
    client.force_login(administrator)
    response = client.post(reverse("products:publish", args=["draft"]), follow=True)
    assert response.redirect_chain == [(draft.get_absolute_url(), 302)]
    assert "Published Draft. Developers in its groups now see it in the portal." in messages_of(
        response
    )
    assert Product.objects.get(pk=draft.pk).is_published
    assert "Unpublish</button>" in response.content.decode()


def test_product_unpublish_unpublishes_it(client, administrator, product):
    client.force_login(administrator)
    response = client.post(reverse("products:unpublish", args=[product.name]), follow=True)
    assert response.redirect_chain == [(product.get_absolute_url(), 302)]
    assert (
        "Unpublished Payments. Only administrators see it now; existing subscriptions keep "
        "working." in messages_of(response)
    )
    assert not Product.objects.get(pk=product.pk).is_published
    assert "Publish</button>" in response.content.decode()


def test_product_publish_keeps_the_settings_and_groups(client, administrator, product):
    services.set_state(product=product, state=Product.State.NOT_PUBLISHED)
    client.force_login(administrator)
    client.post(reverse("products:publish", args=[product.name]))
    saved = Product.objects.get(pk=product.pk)
    assert (saved.display_name, saved.description) == ("Payments", "Take payments")
    assert linked_groups(saved) == {Group.ADMINISTRATORS, "partners"}


# Delete


def test_product_delete_confirmation_names_the_groups_losing_access(
    client, administrator, product, others
):
    services.grant_access(product=product, groups=[others], added_by=None)
    client.force_login(administrator)
    body = text_of(client.get(reverse("products:delete", args=[product.name])))
    assert "Delete the product Payments?" in body
    assert "Access for 3 groups: Administrators, Others, Partners." in body
    assert Product.objects.filter(pk=product.pk).exists()


def test_product_delete_removes_the_product_and_its_links_not_the_groups(
    client, administrator, product, partners
):
    kept = services.create_product(name="kept", display_name="Kept", groups=[partners])
    client.force_login(administrator)
    response = client.post(reverse("products:delete", args=[product.name]), follow=True)
    assert response.redirect_chain == [(reverse("products:list"), 302)]
    assert "Deleted the product Payments; 2 groups lost access to it." in messages_of(response)
    assert not Product.objects.filter(pk=product.pk).exists()
    assert not ProductGroup.objects.filter(product_id=product.pk).exists()
    assert Group.objects.filter(name__in=["partners", Group.ADMINISTRATORS]).count() == 2
    assert linked_groups(kept) == {Group.ADMINISTRATORS, "partners"}


def test_product_delete_message_counts_one_group(client, administrator):
    services.create_product(name="lonely", display_name="Lonely")
    client.force_login(administrator)
    response = client.post(reverse("products:delete", args=["lonely"]), follow=True)
    assert "Deleted the product Lonely; 1 group lost access to it." in messages_of(response)


# Access control


def test_product_access_lists_the_linked_groups(client, administrator, product, others):
    client.force_login(administrator)
    response = client.get(reverse("products:access", args=[product.name]))
    assert [link.group.name for link in response.context["page"]] == [
        Group.ADMINISTRATORS,
        "partners",
    ]
    body = response.content.decode()
    assert reverse("groups:detail", args=["partners"]) in body
    assert reverse("groups:detail", args=["others"]) not in body


def test_product_access_offers_no_delete_for_administrators(client, administrator, product):
    client.force_login(administrator)
    body = client.get(reverse("products:access", args=[product.name])).content.decode()
    administrators_row = table_row(body, ">Administrators</a>")
    assert "Always has access" in administrators_row
    assert "Delete" not in administrators_row
    assert reverse("products:remove_group", args=[product.name, Group.ADMINISTRATORS]) not in body
    partners_row = table_row(body, ">Partners</a>")
    assert reverse("products:remove_group", args=[product.name, "partners"]) in partners_row
    assert "Always has access" not in partners_row


def test_product_add_groups_picker_lists_every_group(client, administrator, product, others):
    client.force_login(administrator)
    response = client.get(reverse("products:add_groups", args=[product.name]))
    listed = [group.name for group in response.context["page"]]
    assert set(listed) == {
        Group.ADMINISTRATORS,
        Group.DEVELOPERS,
        Group.GUESTS,
        "partners",
        "others",
    }
    body = response.content.decode()
    for name in ["Administrators", "Developers", "Guests", "Partners", "Others"]:
        assert name in body


def test_product_add_groups_picker_marks_groups_with_access(
    client, administrator, product, partners, others
):
    client.force_login(administrator)
    body = client.get(reverse("products:add_groups", args=[product.name])).content.decode()
    for group in [partners, Group.objects.get(name=Group.ADMINISTRATORS)]:
        box = checkbox(body, group.pk)
        assert "disabled" in box
        assert 'name="pick"' not in box
    assert body.count(">Has access</span>") == 2
    box = checkbox(body, others.pk)
    assert "disabled" not in box
    assert 'name="pick" value="others"' in box


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("oth", ["others"]),
        ("PARTNER", ["partners"]),
        ("companies", ["partners"]),
        ("built-in", [Group.ADMINISTRATORS, Group.DEVELOPERS, Group.GUESTS]),
        ("nothing-matches", []),
    ],
)
def test_product_add_groups_picker_searches(
    client, administrator, product, others, query, expected
):
    client.force_login(administrator)
    response = client.get(reverse("products:add_groups", args=[product.name]), {"q": query})
    assert sorted(group.name for group in response.context["page"]) == expected
    if not expected:
        assert "Nothing matches “nothing-matches”" in html.unescape(response.content.decode())


@pytest.mark.parametrize("query", ["équipe", "ÉQUIPE", "Équipe"])
def test_product_add_groups_picker_search_ignores_the_case_of_accented_letters(
    client, administrator, product, query
):
    # Names ignore case, accented letters included (Élan and ÉLAN are one
    # name), so finding a group by name should too.
    group_services.create_group(name="equipe", display_name="Équipe Paris")
    client.force_login(administrator)
    response = client.get(reverse("products:add_groups", args=[product.name]), {"q": query})
    assert [group.name for group in response.context["page"]] == ["equipe"]


def test_product_add_groups_picker_is_paginated(client, administrator, product):
    Group.objects.bulk_create(
        Group(name=f"team-{n:02}", display_name=f"Team {n:02}", display_name_key=f"team {n:02}")
        for n in range(30)
    )
    client.force_login(administrator)
    url = reverse("products:add_groups", args=[product.name])
    first = client.get(url)
    assert len(first.context["page"]) == 25
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(url, {"page": 2})
    assert second.context["page"].number == 2
    assert "Page 2 of 2" in second.content.decode()
    names = {g.name for g in first.context["page"]} | {g.name for g in second.context["page"]}
    assert len(names) == Group.objects.count() == 34


def test_product_add_groups_links_every_selected_group(client, administrator, product, others):
    client.force_login(administrator)
    response = client.post(
        reverse("products:add_groups", args=[product.name]),
        {"pick": ["others", Group.DEVELOPERS, Group.GUESTS]},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("products:access", args=[product.name]), 302)]
    assert "Developers, Guests, Others can now see Payments." in messages_of(response)
    assert linked_groups(product) == {
        Group.ADMINISTRATORS,
        Group.DEVELOPERS,
        Group.GUESTS,
        "partners",
        "others",
    }
    added_by = ProductGroup.objects.filter(product=product, group__name="others").get().added_by
    assert added_by == administrator


def test_product_add_groups_to_an_unpublished_product_says_when(client, administrator, others):
    draft = services.create_product(name="draft", display_name="Draft")
    client.force_login(administrator)
    response = client.post(
        reverse("products:add_groups", args=[draft.name]), {"pick": ["others"]}, follow=True
    )
    assert "Others can now see Draft once it is published." in messages_of(response)


def test_product_add_groups_keeps_one_link_for_a_group_with_access(client, administrator, product):
    client.force_login(administrator)
    response = client.post(
        reverse("products:add_groups", args=[product.name]),
        {"pick": ["partners", "partners"]},
        follow=True,
    )
    assert "Partners could already see Payments." in messages_of(response)
    assert ProductGroup.objects.filter(product=product, group__name="partners").count() == 1
    assert linked_groups(product) == {Group.ADMINISTRATORS, "partners"}


def test_product_add_groups_needs_a_choice(client, administrator, product):
    client.force_login(administrator)
    before = snapshot()
    response = client.post(reverse("products:add_groups", args=[product.name]), {})
    assert response.status_code == 200
    assert "Choose at least one group" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    "values",
    [["nope"], [""], ["999999"], ["<b>"], ["x" * 300], ["PARTNERS-ghost"]],
    ids=["unknown", "empty", "number", "html", "huge", "near-miss"],
)
def test_product_add_groups_ignores_unknown_ids(client, administrator, product, values):
    client.force_login(administrator)
    before = snapshot()
    response = client.post(reverse("products:add_groups", args=[product.name]), {"pick": values})
    assert response.status_code == 200
    assert "Choose at least one group" in response.content.decode()
    assert snapshot() == before


def test_product_add_groups_skips_unknown_ids_among_real_ones(
    client, administrator, product, others
):
    client.force_login(administrator)
    response = client.post(
        reverse("products:add_groups", args=[product.name]),
        {"pick": ["nope", "others", "999999"]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Others can now see Payments." in messages_of(response)
    assert linked_groups(product) == {Group.ADMINISTRATORS, "partners", "others"}


def test_product_remove_group_asks_first(client, administrator, product):
    client.force_login(administrator)
    response = client.get(reverse("products:remove_group", args=[product.name, "partners"]))
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert "Take Partners's access to Payments away?" in body
    assert linked_groups(product) == {Group.ADMINISTRATORS, "partners"}


def test_product_remove_group_removes_the_link_not_the_group(client, administrator, product):
    client.force_login(administrator)
    response = client.post(
        reverse("products:remove_group", args=[product.name, "partners"]), follow=True
    )
    assert response.redirect_chain == [(reverse("products:access", args=[product.name]), 302)]
    assert "Partners no longer has access to Payments." in messages_of(response)
    assert linked_groups(product) == {Group.ADMINISTRATORS}
    assert Group.objects.filter(name="partners").exists()


def test_product_remove_group_refuses_administrators(client, administrator, product):
    client.force_login(administrator)
    response = client.post(
        reverse("products:remove_group", args=[product.name, Group.ADMINISTRATORS]), follow=True
    )
    assert response.redirect_chain == [(reverse("products:access", args=[product.name]), 302)]
    assert any("Administrators always see every product" in text for text in messages_of(response))
    assert linked_groups(product) == {Group.ADMINISTRATORS, "partners"}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("group", ["others", "no-such-group"])
def test_product_remove_group_without_access_is_404(
    client, administrator, product, others, method, group
):
    client.force_login(administrator)
    before = snapshot()
    response = getattr(client, method)(reverse("products:remove_group", args=[product.name, group]))
    assert response.status_code == 404
    assert snapshot() == before


def test_product_access_pages_escape_html_in_group_names(client, administrator, product):
    name = "<b>Bold</b> & co"
    group_services.create_group(name="bold", display_name=name)
    client.force_login(administrator)
    response = client.post(
        reverse("products:add_groups", args=[product.name]), {"pick": ["bold"]}, follow=True
    )
    assert f"{name} can now see Payments." in messages_of(response)
    for url in [
        reverse("products:access", args=[product.name]),
        reverse("products:detail", args=[product.name]),
        reverse("products:delete", args=[product.name]),
        reverse("products:add_groups", args=[product.name]),
        reverse("products:remove_group", args=[product.name, "bold"]),
    ]:
        body = client.get(url).content.decode()
        assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in body, url
        assert "<b>Bold</b>" not in body, url
    body = response.content.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co can now see Payments." in body


# The group's side


def test_group_page_lists_the_products_it_can_see(client, administrator, product, partners):
    billing = services.create_product(name="billing", display_name="Billing", groups=[partners])
    services.create_product(name="internal", display_name="Internal")
    client.force_login(administrator)
    response = client.get(reverse("groups:detail", args=[partners.name]))
    assert [link.product.name for link in response.context["product_links"]] == [
        "billing",
        "payments",
    ]
    assert response.context["product_count"] == 2
    body = response.content.decode()
    assert f'<a href="{billing.get_absolute_url()}">Billing</a>' in body
    assert f'<a href="{product.get_absolute_url()}">Payments</a>' in body
    assert reverse("products:detail", args=["internal"]) not in body


def test_group_list_counts_the_products_of_each_group(client, administrator, product, partners):
    services.create_product(name="billing", display_name="Billing", groups=[partners])
    services.create_product(name="internal", display_name="Internal")
    client.force_login(administrator)
    response = client.get(reverse("groups:list"))
    counts = {group.name: group.product_count for group in response.context["page"]}
    assert counts == {
        Group.ADMINISTRATORS: 3,
        Group.DEVELOPERS: 0,
        Group.GUESTS: 0,
        "partners": 2,
    }
    body = response.content.decode()
    row = table_row(body, ">partners</div>")
    assert re.search(r'<td class="text-end">\s*2\s*</td>\s*</tr>', row)


# Query counts


def test_product_list_query_count_does_not_grow_with_rows(client, administrator):
    client.force_login(administrator)
    url = reverse("products:list")
    administrators = Group.objects.get(name=Group.ADMINISTRATORS)

    def add_products(numbers):
        products = Product.objects.bulk_create(
            Product(
                name=f"product-{n:03}",
                display_name=f"Product {n:03}",
                display_name_key=f"Product {n:03}".casefold(),
            )
            for n in numbers
        )
        ProductGroup.objects.bulk_create(
            ProductGroup(product=product, group=administrators) for product in products
        )

    add_products(range(5))
    few = count_queries(client, url)
    add_products(range(5, 500))
    many = count_queries(client, url)
    # Session, user, paginator COUNT, the menu's COUNT of subscriptions
    # waiting for approval, one page of products with group_count as a
    # correlated subquery.
    assert few == many
    assert many <= 5


def test_product_access_query_count_does_not_grow_with_rows(client, administrator, make_user):
    product = services.create_product(name="busy", display_name="Busy")
    adder = make_user(email="adder@example.com")
    client.force_login(administrator)
    url = reverse("products:access", args=[product.name])

    def add_links(numbers):
        groups = Group.objects.bulk_create(
            Group(name=f"team-{n:03}", display_name=f"Team {n:03}", display_name_key=f"team {n:03}")
            for n in numbers
        )
        ProductGroup.objects.bulk_create(
            ProductGroup(product=product, group=group, added_by=adder) for group in groups
        )

    add_links(range(5))
    few = count_queries(client, url)
    add_links(range(5, 500))
    many = count_queries(client, url)
    # Session, user, the product, paginator COUNT, the menu's COUNT of
    # subscriptions waiting for approval, one page of links joined to their
    # groups and to who added them.
    assert few == many
    assert many <= 6


def test_product_add_groups_picker_query_count_does_not_grow_with_rows(
    client, administrator, product
):
    client.force_login(administrator)
    url = reverse("products:add_groups", args=[product.name])

    def add_groups(numbers):
        groups = Group.objects.bulk_create(
            Group(name=f"team-{n:03}", display_name=f"Team {n:03}", display_name_key=f"team {n:03}")
            for n in numbers
        )
        # Half of them already see the product, so the "Has access" marks are
        # exercised as well.
        ProductGroup.objects.bulk_create(
            ProductGroup(product=product, group=group) for group in groups[::2]
        )

    add_groups(range(5))
    few = count_queries(client, url)
    add_groups(range(5, 500))
    many = count_queries(client, url)
    # Session, user, the product, paginator COUNT, one page of groups, the
    # page's groups that already have access, the menu's COUNT of
    # subscriptions waiting for approval.
    assert few == many
    assert many <= 7
