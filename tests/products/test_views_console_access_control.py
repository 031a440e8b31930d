"""The console's Products tab: a product's Access control, + Add groups, and taking a
group's access away."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from groups import services as group_services
from groups.models import Group
from products import services
from products.models import Product, ProductGroup
from tests.conftest import messages_of, table_row
from tests.products.conftest import linked_groups


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


def checkbox(body, pk):
    return re.search(rf'<input[^>]*id="pick-{pk}"[^>]*>', body)[0]


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


# Query counts


def test_product_access_queries_do_not_grow_with_rows(
    client, administrator, make_user, assert_queries_do_not_grow
):
    product = services.create_product(name="busy", display_name="Busy")
    adder = make_user(email="adder@example.com")
    client.force_login(administrator)

    def add_links(numbers):
        groups = Group.objects.bulk_create(
            Group(name=f"team-{n:03}", display_name=f"Team {n:03}", display_name_key=f"team {n:03}")
            for n in numbers
        )
        ProductGroup.objects.bulk_create(
            ProductGroup(product=product, group=group, added_by=adder) for group in groups
        )

    # 1. the session
    # 2. the signed-in user
    # 3. the product
    # 4. the paginator's COUNT of its links
    # 5. one page of links, joined to their groups and to who added them
    # 6. the menu's badge of waiting approvals, read from the shared cache
    url = reverse("products:access", args=[product.name])
    assert_queries_do_not_grow(url, add_links, 6)


def test_product_add_groups_picker_queries_do_not_grow_with_rows(
    client, administrator, product, assert_queries_do_not_grow
):
    client.force_login(administrator)

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

    # 1. the session
    # 2. the signed-in user
    # 3. the product
    # 4. the paginator's COUNT of the groups
    # 5. one page of groups
    # 6. which of the page's groups already have access
    # 7. the menu's badge of waiting approvals, read from the shared cache
    url = reverse("products:add_groups", args=[product.name])
    assert_queries_do_not_grow(url, add_groups, 7)
