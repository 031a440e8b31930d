"""apis.models: an API is seen by whoever sees a product that contains it, in one
query; restricted operations are hidden from everyone outside their groups."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apis import services
from apis.models import Api, Operation, ProductApi, hidden_operations
from groups.models import Group, GroupMember, Membership
from portal.models import User
from products.models import Product, ProductGroup

PUBLISHED = Product.State.PUBLISHED
NOT_PUBLISHED = Product.State.NOT_PUBLISHED


def visible(viewer):
    return set(Api.objects.visible_to(viewer).values_list("name", flat=True))


def test_an_api_is_seen_through_the_products_that_contain_it(
    make_api, make_product, member, outsider, guests, partners, administrator
):
    weather = make_product("Weather", groups=[guests])
    deals = make_product("Deals", groups=[partners])
    make_api("Forecasts", products=[weather])
    make_api("Shipments", products=[deals])
    make_api("Loose")  # in no product

    assert visible(AnonymousUser()) == {"forecasts"}
    assert visible(outsider) == set()
    assert visible(member) == {"shipments"}
    assert visible(administrator) == {"forecasts", "shipments", "loose"}


def test_an_unpublished_product_shows_its_apis_to_nobody_but_administrators(
    make_api, make_product, member
):
    draft = make_product("Draft", state=NOT_PUBLISHED)
    make_api("Shipments", products=[draft])

    assert visible(member) == set()


def test_a_blocked_member_sees_what_a_guest_sees(make_api, make_product, member, guests):
    make_api("Shipments", products=[make_product("Deals")])
    make_api("Forecasts", products=[make_product("Weather", groups=[guests])])
    member.state = User.State.BLOCKED
    member.save()

    assert visible(member) == {"forecasts"}


@pytest.mark.parametrize("products", [1, 30])
def test_visible_to_is_two_queries(
    make_api, make_product, member, django_assert_num_queries, products
):
    api = make_api("Shipments")
    for i in range(products):
        services.add_apis(product=make_product(f"P{i}"), apis=[api], added_by=None)

    # The member's groups (read once, as a literal list), then the APIs.
    with django_assert_num_queries(2):
        assert visible(member) == {"shipments"}


def test_an_api_path_and_version_are_unique_whatever_the_case(make_api):
    make_api("Shipments", path="ship")

    with pytest.raises(ValidationError) as refused:
        make_api("Other", path="SHIP")

    assert refused.value.message_dict["__all__"] == [
        "Another API already uses this URL suffix and version."
    ]
    make_api("Shipments v2", path="ship", api_version="v2")


@pytest.mark.parametrize("path", ["a//b", "spaces here", "ünïcode", "a/../b", "./a", "a?x", "a#b"])
def test_a_bad_url_suffix_is_refused(make_api, path):
    with pytest.raises(ValidationError) as refused:
        make_api("Shipments", path=path)

    assert "path" in refused.value.message_dict


def test_a_url_suffix_loses_its_slashes(make_api):
    assert make_api("Shipments", path="/ship/v1/").path == "ship/v1"


@pytest.mark.parametrize("protocols", ["", "gopher", "https,ftp"])
def test_unknown_protocols_are_refused(make_api, protocols):
    with pytest.raises(ValidationError) as refused:
        make_api("Shipments", protocols=protocols)

    assert "protocols" in refused.value.message_dict


def test_operations_are_stored_with_their_tags(make_api):
    api = make_api("Shipments")

    rows = list(api.operations.values_list("name", "method", "url_template"))

    assert rows[0] == ("listShipments", "GET", "/shipments")
    assert api.operations.get(name="cancelShipment").tag_list == ["Admin"]
    assert set(Api.objects.tagged("Admin").values_list("name", flat=True)) == {"shipments"}
    assert not Api.objects.tagged("Adm").exists()


# Restricted operations


def test_a_restricted_operation_is_hidden_outside_its_groups(
    make_api, make_product, member, outsider, partners, administrator
):
    api = make_api("Shipments", products=[make_product("Deals")])
    services.restrict(
        api=api, kind="operation", target="createShipment", groups=[partners], added_by=None
    )

    assert hidden_operations(api, member) == set()
    assert hidden_operations(api, outsider) == {"createshipment"}
    assert hidden_operations(api, AnonymousUser()) == {"createshipment"}
    assert hidden_operations(api, administrator) == set()


def test_a_restricted_tag_hides_every_operation_with_it(make_api, member, beta):
    api = make_api("Shipments")
    services.restrict(api=api, kind="tag", target="Shipments", groups=[beta], added_by=None)

    assert hidden_operations(api, member) == {"listshipments", "createshipment", "getshipment"}
    Membership.objects.create(group=beta, user=member)
    assert hidden_operations(api, member) == set()


def test_viewing_as_a_group_applies_restrictions(make_api, partners, beta):
    api = make_api("Shipments")
    services.restrict(api=api, kind="tag", target="Admin", groups=[beta], added_by=None)

    assert hidden_operations(api, GroupMember(group=partners)) == {"cancelshipment"}
    assert hidden_operations(api, GroupMember(group=beta)) == set()


def test_restricting_something_that_is_not_there_is_refused(make_api, partners):
    api = make_api("Shipments")

    with pytest.raises(ValidationError) as refused:
        services.restrict(api=api, kind="tag", target="Nope", groups=[partners], added_by=None)

    assert refused.value.message_dict == {"target": ["No operation of Shipments has the tag Nope."]}


# The property test: random groups, products and APIs, and the rule in plain Python.

SYSTEM_NAMES = [Group.ADMINISTRATORS, Group.DEVELOPERS, Group.GUESTS]


@st.composite
def worlds(draw):
    group_names = SYSTEM_NAMES + [f"group-{i}" for i in range(draw(st.integers(1, 3)))]
    users = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "state": st.sampled_from([*User.State.values, User.State.ACTIVE]),
                    "is_superuser": st.sampled_from([False, False, True]),
                    "groups": st.sets(st.sampled_from(group_names[3:])),
                }
            ),
            min_size=1,
            max_size=4,
        )
    )
    products = draw(
        st.lists(
            st.fixed_dictionaries(
                {"published": st.booleans(), "groups": st.sets(st.sampled_from(group_names))}
            ),
            min_size=1,
            max_size=4,
        )
    )
    apis = draw(st.lists(st.sets(st.integers(0, len(products) - 1)), min_size=1, max_size=5))
    return {"groups": group_names, "users": users, "products": products, "apis": apis}


def expected(world, *, signed_in, active, superuser, groups):
    """The rule, written out without the ORM."""
    if signed_in and active and superuser:
        return {f"api-{i}" for i in range(len(world["apis"]))}
    through = {Group.DEVELOPERS} | groups if signed_in and active else {Group.GUESTS}
    seen_products = {
        index
        for index, product in enumerate(world["products"])
        if product["published"] and product["groups"] & through
    }
    return {
        f"api-{i}" for i, contained_in in enumerate(world["apis"]) if contained_in & seen_products
    }


def assert_seen_products_agree(viewer):
    """in_seen_product gives, for each product the viewer sees, what visible_to would."""
    for product in Product.objects.visible_to(viewer):
        names = set(Api.objects.in_seen_product(product).values_list("name", flat=True))
        asked = Api.objects.visible_to(viewer).in_product(product)
        assert names == set(asked.values_list("name", flat=True)), product.name


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(world=worlds())
def test_visible_to_matches_the_rule(db, world):
    with transaction.atomic():
        groups = {name: Group.objects.get(name=name) for name in SYSTEM_NAMES}
        for name in world["groups"][3:]:
            groups[name] = Group.objects.create(name=name, display_name=name)
        products = []
        for i, spec in enumerate(world["products"]):
            product = Product.objects.create(
                name=f"product-{i}",
                display_name=f"Product {i}",
                state=PUBLISHED if spec["published"] else NOT_PUBLISHED,
            )
            ProductGroup.objects.bulk_create(
                ProductGroup(product=product, group=groups[name]) for name in spec["groups"]
            )
            products.append(product)
        for i, contained_in in enumerate(world["apis"]):
            api = Api.objects.create(name=f"api-{i}", display_name=f"API {i}", path=f"api-{i}")
            ProductApi.objects.bulk_create(
                ProductApi(api=api, product=products[index]) for index in contained_in
            )
        assert visible(AnonymousUser()) == expected(
            world, signed_in=False, active=False, superuser=False, groups=set()
        )
        for i, spec in enumerate(world["users"]):
            user = User.objects.create(
                email=f"person-{i}@example.com",
                state=spec["state"],
                is_superuser=spec["is_superuser"],
            )
            Membership.objects.bulk_create(
                Membership(group=groups[name], user=user) for name in spec["groups"]
            )
            assert_seen_products_agree(user)
            assert visible(user) == expected(
                world,
                signed_in=True,
                active=spec["state"] == User.State.ACTIVE,
                superuser=spec["is_superuser"],
                groups=spec["groups"],
            ), spec
        assert_seen_products_agree(AnonymousUser())
        for name, group in groups.items():
            assert_seen_products_agree(GroupMember(group=group))
            assert visible(GroupMember(group=group)) == expected(
                world,
                signed_in=name != Group.GUESTS,
                active=True,
                superuser=name == Group.ADMINISTRATORS,
                groups=set() if group.is_system else {name},
            ), name
        transaction.set_rollback(True)


def test_operation_tags_round_trip():
    assert Operation.join_tags([]) == ""
    assert Operation(tags=Operation.join_tags(["A b", "C"])).tag_list == ["A b", "C"]
