"""The console's Products tab: the list, a product's page, Publish and Delete."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from groups import services as group_services
from groups.models import Group
from portal.models import User
from products import services
from products.models import Product, ProductGroup
from subscriptions.models import Subscription
from tests.conftest import messages_of, table_row
from tests.products.conftest import linked_groups


def text_of(response):
    """The page's text with entities decoded and runs of white space made one space."""
    return " ".join(html.unescape(response.content.decode()).split())


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


# The list


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


def test_product_list_queries_do_not_grow_with_rows(
    client, administrator, administrators, assert_queries_do_not_grow
):
    client.force_login(administrator)

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

    # 1. the session
    # 2. the signed-in user
    # 3. the paginator's COUNT of the products (capped)
    # 4. the ids of one page of products
    # 5. those products, with group_count as a correlated subquery
    # 6. the menu's badge of waiting approvals, read from the shared cache
    assert_queries_do_not_grow(reverse("products:list"), add_products, 6)


# A product's page: who can see it


def who_can_see_rows(response):
    """{group display name: people} from the product page's "Who can see this"."""
    content = response.content.decode()
    section = content.split("Who can see this", 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'<th scope="row" class="fw-normal"><a href="[^"]*">([^<]*)</a></th>\s*<td>([^<]*)</td>',
        section,
    )
    return {html.unescape(group): html.unescape(people) for group, people in rows}


def test_product_detail_explains_who_can_see_it(
    client,
    administrator,
    developer,
    support_staff,
    blocked_user,
    pending_user,
    make_user,
    make_product,
    guests,
    developers,
    partners,
    external,
    beta,
):
    make_product("Other", groups=[beta])
    second_admin = make_user(is_superuser=True, is_staff=True)
    blocked_admin = make_user(is_superuser=True, state=User.State.BLOCKED)
    group_services.add_members(
        group=partners,
        users=[developer, support_staff, blocked_user, pending_user, blocked_admin],
        added_by=None,
    )
    group_services.add_directory_members(
        group=external, users=[developer, second_admin], via="provisioning"
    )
    group_services.add_members(group=beta, users=[developer, support_staff], added_by=None)
    make_product("Payments", groups=[guests, developers, partners, external])
    client.force_login(administrator)

    response = client.get(reverse("products:detail", args=["payments"]))

    # Active accounts: administrator, developer, support_staff, second_admin.
    assert who_can_see_rows(response) == {
        "Administrators": "2 (all administrators)",
        "Developers": "4 (all signed-in developers)",
        "Guests": "Visitors who are not signed in",
        "Partners": "2",
        "Directory people": "2",
    }


def test_product_detail_who_can_see_an_unlinked_product(client, administrator, make_product):
    make_product("Draft", groups=[], state=Product.State.NOT_PUBLISHED)
    client.force_login(administrator)

    response = client.get(reverse("products:detail", args=["draft"]))

    assert who_can_see_rows(response) == {"Administrators": "1 (all administrators)"}
    assert "Not published: only administrators see it for now" in response.content.decode()


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


def test_product_delete_with_subscriptions_needs_the_box(
    client, administrator, member, product, make_subscription
):
    make_subscription(member, product, "active")
    make_subscription(member, product, "cancelled")
    client.force_login(administrator)
    response = client.post(reverse("products:delete", args=[product.name]))
    assert response.status_code == 400
    assert escape("Payments has 2 subscriptions, ended ones included") in response.content.decode()
    assert Product.objects.filter(pk=product.pk).exists()
    assert Subscription.objects.filter(product=product).count() == 2


def test_product_delete_with_the_box_deletes_subscriptions(
    client, administrator, member, product, make_subscription
):
    make_subscription(member, product, "active")
    make_subscription(member, product, "cancelled")
    client.force_login(administrator)
    response = client.post(
        reverse("products:delete", args=[product.name]), {"delete_subscriptions": "on"}
    )
    assert response.status_code == 302
    assert not Product.objects.filter(pk=product.pk).exists()
    assert not Subscription.objects.exists()
